import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

interface Variant {
  id: string;
  sku: string;
  options: Record<string, string>;
  price: number;
  stock: number;
  stockOnHand?: number;
  stockAllocated?: number;
  status: string;
}

describe('Products with variants (API.md, "Variants")', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  let category: string;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true' } }));
    category = (await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: `Shirts ${randomBytes(2).toString('hex')}` }).expect(201)).body.slug;
  });
  afterAll(() => t?.close());

  const sku = (tag: string) => `${tag}-${randomBytes(3).toString('hex')}`;
  const admins = () => request(t.http);
  const createShirt = (variants: object[], options: object[] = [{ name: 'Size', values: ['S', 'M', 'L'] }, { name: 'Color', values: ['Red', 'Blue'] }]) =>
    admins()
      .post('/api/v1/admin/products')
      .set(...bearer(admin))
      .send({ title: `Shirt ${randomBytes(2).toString('hex')}`, description: 'Cotton.', brand: 'Tees', category, options, variants });
  const variantBy = (product: { variants: Variant[] }, size: string, color: string) =>
    product.variants.find((variant) => variant.options.Size === size && variant.options.Color === color)!;
  const adminProduct = async (id: string) => (await admins().get(`/api/v1/admin/products/${id}`).set(...bearer(admin)).expect(200)).body;
  const addToCart = (buyer: Account, body: object) => request(t.http).post('/api/v1/cart/items').set(...bearer(buyer)).send(body);

  it('creates a product with options and variants; price, price range and stock come from the active variants', async () => {
    const created = (
      await createShirt([
        { sku: sku('m-red'), options: { Size: 'M', Color: 'Red' }, price: 2500, stock: 3 },
        { sku: sku('m-blue'), options: { Size: 'M', Color: 'Blue' }, price: 2200, stock: 5 },
        { sku: sku('s-red'), options: { Size: 'S', Color: 'Red' }, price: 2900, stock: 0 },
      ]).expect(201)
    ).body;
    expect(created).toMatchObject({ price: 2200, priceRange: { min: 2200, max: 2900 }, stock: 8, stockOnHand: 8, stockAllocated: 0 });
    expect(created.options).toEqual([
      { name: 'Size', values: ['S', 'M', 'L'] },
      { name: 'Color', values: ['Red', 'Blue'] },
    ]);
    expect(variantBy(created, 'M', 'Red')).toMatchObject({ price: 2500, stock: 3, stockOnHand: 3, stockAllocated: 0, status: 'active', imageIds: [] });

    const publicView = (await request(t.http).get(`/api/v1/products/${created.id}`).expect(200)).body;
    expect(publicView.variants).toHaveLength(3);
    expect(publicView.variants[0]).not.toHaveProperty('stockOnHand');

    // Archiving the cheapest variant moves price and stock; public reads no longer list it.
    await admins().delete(`/api/v1/admin/products/${created.id}/variants/${variantBy(created, 'M', 'Blue').id}`).set(...bearer(admin)).expect(204);
    const after = await adminProduct(created.id);
    expect(after).toMatchObject({ price: 2500, priceRange: { min: 2500, max: 2900 }, stock: 3, stockOnHand: 8 });
    expect(variantBy(after, 'M', 'Blue')).toMatchObject({ status: 'archived', stock: 0, stockOnHand: 5 });
    expect((await request(t.http).get(`/api/v1/products/${created.id}`).expect(200)).body.variants).toHaveLength(2);
  });

  it('refuses option names that a variant key or a search filter could not carry (400); a name with spaces is found by search', async () => {
    for (const name of ['Fit.Type', '$size', 'Size[EU]', 'Cup]']) {
      const res = await admins()
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({ title: 'Odd option', description: 'x', brand: 'x', category, options: [{ name, values: ['A'] }], variants: [{ sku: sku('odd'), options: { [name]: 'A' }, price: 100, stock: 1 }] })
        .expect(400);
      expect(JSON.stringify(res.body.message)).toContain('option name');
    }
    const shoe = (
      await admins()
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({ title: `Clog ${randomBytes(2).toString('hex')}`, description: 'Wood.', brand: 'Clogs', category, options: [{ name: 'Shoe Size', values: ['40', '41'] }], variants: [{ sku: sku('clog-40'), options: { 'Shoe Size': '40' }, price: 3000, stock: 2 }] })
        .expect(201)
    ).body;
    const found = (await request(t.http).get(`/api/v1/products?category=${category}&option.Shoe%20Size=40`).expect(200)).body;
    expect(found.items.map((item: { id: string }) => item.id)).toEqual([shoe.id]);
    expect((await request(t.http).get(`/api/v1/products?category=${category}&option[Shoe%20Size]=41`).expect(200)).body.total).toBe(0);
  });

  it('refuses undeclared option values (400), a second variant of one combination and a taken sku, any case (409)', async () => {
    const taken = sku('TAKEN');
    const first = (await createShirt([{ sku: taken, options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 1 }]).expect(201)).body;
    await createShirt([{ sku: sku('x'), options: { Size: 'XL', Color: 'Red' }, price: 1000, stock: 1 }]).expect(400);
    await createShirt([{ sku: sku('x'), options: { Size: 'S' }, price: 1000, stock: 1 }]).expect(400);
    await createShirt([
      { sku: sku('a'), options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 1 },
      { sku: sku('b'), options: { Color: 'Red', Size: 'S' }, price: 1000, stock: 1 },
    ]).expect(409);
    const same = sku('same');
    await createShirt([
      { sku: same, options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 1 },
      { sku: same.toUpperCase(), options: { Size: 'M', Color: 'Red' }, price: 1000, stock: 1 },
    ]).expect(409);
    expect((await createShirt([{ sku: taken.toLowerCase(), options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 1 }]).expect(409)).body.sku).toBe(taken.toLowerCase());

    const addVariant = (body: object) => admins().post(`/api/v1/admin/products/${first.id}/variants`).set(...bearer(admin)).send(body);
    await addVariant({ sku: sku('new'), options: { Size: 'M', Color: 'Green' }, price: 1000, stock: 1 }).expect(400);
    await addVariant({ sku: sku('new'), options: { Size: 'M', Color: 'Red' }, price: 1000, stock: 1, imageIds: [first.id] }).expect(400);
    await addVariant({ sku: sku('new'), options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 1 }).expect(409);
    await addVariant({ sku: ` ${taken.toLowerCase()} `, options: { Size: 'M', Color: 'Red' }, price: 1000, stock: 1 }).expect(409);
    const added = (await addVariant({ sku: sku('m-red'), options: { Size: 'M', Color: 'Red' }, price: 800, stock: 4 }).expect(201)).body;
    expect(added).toMatchObject({ price: 800, priceRange: { min: 800, max: 1000 }, stock: 5, stockOnHand: 5 });

    // Renaming a sku to one taken elsewhere, in another case → 409; the product is unchanged.
    const other = (await createShirt([{ sku: sku('other'), options: { Size: 'L', Color: 'Blue' }, price: 1000, stock: 1 }]).expect(201)).body;
    await admins().patch(`/api/v1/admin/products/${other.id}/variants/${other.variants[0].id}`).set(...bearer(admin)).send({ sku: taken.toUpperCase() }).expect(409);
    expect((await adminProduct(other.id)).variants[0].sku).toBe(other.variants[0].sku);
  });

  it('keeps product-level price and stock writes for products with one variant; with several → 409 naming the variants route', async () => {
    const single = await shop.createProduct({ price: 1000, stock: 5 });
    const patched = (await admins().patch(`/api/v1/admin/products/${single.id}`).set(...bearer(admin)).send({ price: 1200, stock: 7 }).expect(200)).body;
    expect(patched).toMatchObject({ price: 1200, priceRange: { min: 1200, max: 1200 }, stock: 7 });
    expect(patched.variants).toEqual([expect.objectContaining({ id: single.id, price: 1200, stock: 7, stockOnHand: 7, options: {} })]);

    const shirt = (
      await createShirt([
        { sku: sku('s'), options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 1 },
        { sku: sku('m'), options: { Size: 'M', Color: 'Red' }, price: 1000, stock: 1 },
      ]).expect(201)
    ).body;
    const refused = (await admins().patch(`/api/v1/admin/products/${shirt.id}`).set(...bearer(admin)).send({ price: 1 }).expect(409)).body;
    expect(refused.message).toContain(`/admin/products/${shirt.id}/variants/:variantId`);
    await admins().patch(`/api/v1/admin/products/${shirt.id}`).set(...bearer(admin)).send({ stock: 1 }).expect(409);
    await admins().post(`/api/v1/admin/products/${shirt.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: 1, reason: 'x' }).expect(409);
    const adjusted = (
      await admins().post(`/api/v1/admin/products/${shirt.id}/variants/${shirt.variants[1].id}/stock-adjustments`).set(...bearer(admin)).send({ delta: 4, reason: 'Delivery' }).expect(201)
    ).body;
    expect(adjusted).toMatchObject({ stock: 6, stockOnHand: 6 });
    expect(adjusted.variants[1]).toMatchObject({ stock: 5, stockOnHand: 5 });
    expect(await adminProduct(shirt.id)).toMatchObject({ price: 1000, stock: 6 });
  });

  it('sells by variant: cart lines name the variant, an archived or sold-out one blocks checkout (409 naming it), nothing taken; orders keep their copies', async () => {
    const shirt = (
      await createShirt([
        { sku: sku('m-red'), options: { Size: 'M', Color: 'Red' }, price: 2500, stock: 3 },
        { sku: sku('m-blue'), options: { Size: 'M', Color: 'Blue' }, price: 2200, stock: 5 },
      ]).expect(201)
    ).body;
    const red = variantBy(shirt, 'M', 'Red');
    const blue = variantBy(shirt, 'M', 'Blue');
    const buyer = await registerCustomer(t, 'variant-buyer');

    await addToCart(buyer, { productId: shirt.id, quantity: 1 }).expect(400);
    await addToCart(buyer, { productId: shirt.id, variantId: shirt.id, quantity: 1 }).expect(404);
    expect((await addToCart(buyer, { productId: shirt.id, variantId: red.id, quantity: 4 }).expect(409)).body).toMatchObject({ variantId: red.id, available: 3 });
    await addToCart(buyer, { productId: shirt.id, variantId: red.id, quantity: 2 }).expect(200);
    const cart = (await addToCart(buyer, { productId: shirt.id, variantId: blue.id, quantity: 1 }).expect(200)).body;
    expect(cart.items).toEqual([
      expect.objectContaining({ productId: shirt.id, variantId: red.id, sku: red.sku, options: { Size: 'M', Color: 'Red' }, price: 2500, quantity: 2 }),
      expect.objectContaining({ productId: shirt.id, variantId: blue.id, sku: blue.sku, options: { Size: 'M', Color: 'Blue' }, price: 2200, quantity: 1 }),
    ]);
    // The same variant never makes a second line; raising it past its stock → 409.
    expect((await addToCart(buyer, { productId: shirt.id, variantId: red.id, quantity: 1 }).expect(200)).body.items).toHaveLength(2);
    await request(t.http).patch(`/api/v1/cart/items/${red.id}`).set(...bearer(buyer)).send({ quantity: 4 }).expect(409);
    await request(t.http).patch(`/api/v1/cart/items/${shirt.id}`).set(...bearer(buyer)).send({ quantity: 1 }).expect(400);
    await request(t.http).patch(`/api/v1/cart/items/${red.id}`).set(...bearer(buyer)).send({ quantity: 2 }).expect(200);

    // Blue is archived: the cart says so and checkout refuses, naming the line; red is not taken.
    await admins().delete(`/api/v1/admin/products/${shirt.id}/variants/${blue.id}`).set(...bearer(admin)).expect(204);
    const blocked = (await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body;
    expect(blocked.checkoutReady).toBe(false);
    expect(blocked.items.find((line: { variantId: string }) => line.variantId === blue.id)).toMatchObject({ issue: 'unavailable', available: 0 });
    const refused = (await shop.checkout(buyer).expect(409)).body;
    expect(refused.lines).toEqual([{ productId: shirt.id, variantId: blue.id, requested: 1, available: 0 }]);
    expect(variantBy(await adminProduct(shirt.id), 'M', 'Red')).toMatchObject({ stock: 3, stockAllocated: 0 });

    await request(t.http).delete(`/api/v1/cart/items/${blue.id}`).set(...bearer(buyer)).expect(200);
    const order = (await shop.checkout(buyer).expect(201)).body;
    expect(order.items).toEqual([
      expect.objectContaining({ productId: shirt.id, variantId: red.id, sku: red.sku, options: { Size: 'M', Color: 'Red' }, title: shirt.title, price: 2500, quantity: 2, lineTotal: 5000 }),
    ]);
    expect(await adminProduct(shirt.id)).toMatchObject({ stock: 1, stockAllocated: 2 });
    const [placedEmail] = await new Mailbox().waitForEmails(buyer.email, 1, 30_000);
    expect(placedEmail.text).toContain(`2 x ${shirt.title} (Size: M, Color: Red) at $25.00 = $50.00`);
    expect(variantBy(await adminProduct(shirt.id), 'M', 'Blue')).toMatchObject({ stock: 0, stockOnHand: 5, stockAllocated: 0 });

    // Sold out: another buyer's line says so and checkout refuses it.
    const late = await registerCustomer(t, 'variant-late');
    await addToCart(late, { productId: shirt.id, variantId: red.id, quantity: 1 }).expect(200);
    await admins().post(`/api/v1/admin/products/${shirt.id}/variants/${red.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: -1, reason: 'Damaged' }).expect(201);
    expect((await request(t.http).get('/api/v1/cart').set(...bearer(late)).expect(200)).body.items[0]).toMatchObject({ issue: 'out_of_stock' });
    expect((await shop.checkout(late).expect(409)).body.lines).toEqual([{ productId: shirt.id, variantId: red.id, requested: 1, available: 0 }]);

    // Later edits of the variant never change the order.
    await admins().patch(`/api/v1/admin/products/${shirt.id}/variants/${red.id}`).set(...bearer(admin)).send({ price: 9900, sku: sku('renamed') }).expect(200);
    await admins().delete(`/api/v1/admin/products/${shirt.id}/variants/${red.id}`).set(...bearer(admin)).expect(204);
    const reread = (await request(t.http).get(`/api/v1/orders/${order.id}`).set(...bearer(buyer)).expect(200)).body;
    expect(reread.items).toEqual(order.items);

    // Cancelling gives the archived variant its units back without counting them as sellable.
    await request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer)).expect(200);
    expect(variantBy(await adminProduct(shirt.id), 'M', 'Red')).toMatchObject({ status: 'archived', stockOnHand: 2, stockAllocated: 0 });
    expect(await adminProduct(shirt.id)).toMatchObject({ stock: 0, stockAllocated: 0 });

    const movements = (await admins().get(`/api/v1/admin/products/${shirt.id}/stock-movements`).set(...bearer(admin)).expect(200)).body;
    expect(movements.map((movement: { kind: string; delta: number }) => `${movement.kind} ${movement.delta}`)).toEqual([
      'release 2',
      'adjustment -1',
      'allocation -2',
      'opening 5',
      'opening 3',
    ]);
    expect(movements[1]).toMatchObject({ variantId: red.id, actor: admin.id, reason: 'Damaged' });
    expect(movements[0]).toMatchObject({ variantId: red.id, orderId: order.id });
  });

  it('stock:verify, run as a process, finds nothing after all of the above, then prints each drift a write from outside the store made', async () => {
    const command = join(__dirname, '..', 'dist', 'src', 'stock-verify', 'stock-verify.js');
    const env = { PATH: process.env.PATH ?? '', ...t.env };
    const clean = await promisify(execFile)(process.execPath, [command], { env });
    expect(clean.stdout).toMatch(/^stock:verify: \d+ products checked, 0 drifts\n$/);

    const shirt = (await createShirt([{ sku: sku('drift'), options: { Size: 'S', Color: 'Red' }, price: 1000, stock: 4 }]).expect(201)).body;
    await t.connection.collection('products').updateOne({ _id: new Types.ObjectId(shirt.id) }, { $inc: { 'variants.0.stockOnHand': 2 } });
    const failed = await promisify(execFile)(process.execPath, [command], { env }).then(
      () => null,
      (error: { code: number; stdout: string }) => error,
    );
    expect(failed?.code).toBe(1);
    const variantId = shirt.variants[0].id;
    const lines = failed!.stdout.trim().split('\n');
    expect(lines.pop()).toMatch(/^stock:verify: \d+ products checked, 3 drifts$/);
    expect(lines.sort()).toEqual(
      [
        `drift product ${shirt.id}: product stockOnHand is 4, expected 6`,
        `drift product ${shirt.id} variant ${variantId}: sellable (on hand − allocated) is 4, expected 6`,
        `drift product ${shirt.id} variant ${variantId}: on hand (by movements) is 6, expected 4`,
      ].sort(),
    );
  });
});
