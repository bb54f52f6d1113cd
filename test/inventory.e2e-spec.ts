import request from 'supertest';
import { Types } from 'mongoose';
import { Account, bearer, registerCustomer } from './support/accounts';
import { Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

describe('Inventory: on hand, allocated, sellable (MongoDB stand-in)', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp());
  });
  afterAll(() => t?.close());

  const adjust = (productId: string, body: object, account = admin) =>
    request(t.http).post(`/api/v1/admin/products/${productId}/stock-adjustments`).set(...bearer(account)).send(body);
  const count = (productId: string, stock: number) =>
    request(t.http).patch(`/api/v1/admin/products/${productId}`).set(...bearer(admin)).send({ stock });

  it('shows sellable stock publicly and all three numbers to admins', async () => {
    const product = await shop.createProduct({ stock: 6 });
    expect(product).toMatchObject({ stock: 6, stockOnHand: 6, stockAllocated: 0 });
    const buyer = await registerCustomer(t, 'inv-view');
    await shop.placeOrder(buyer, [[product.id, 2]]);
    const publicView = (await request(t.http).get(`/api/v1/products/${product.id}`).expect(200)).body;
    expect(publicView.stock).toBe(4);
    expect(publicView).not.toHaveProperty('stockOnHand');
    expect(publicView).not.toHaveProperty('stockAllocated');
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockOnHand: 6, stockAllocated: 2 });
  });

  it('PATCH stock sets the counted on-hand quantity and keeps what orders hold; below that → 409', async () => {
    const product = await shop.createProduct({ stock: 5 });
    const buyer = await registerCustomer(t, 'inv-count');
    await shop.placeOrder(buyer, [[product.id, 3]]);
    expect((await count(product.id, 8).expect(200)).body).toMatchObject({ stock: 5, stockOnHand: 8, stockAllocated: 3 });
    const refused = (await count(product.id, 2).expect(409)).body;
    expect(refused).toMatchObject({ statusCode: 409, stockAllocated: 3 });
    await count(product.id, -1).expect(400);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockOnHand: 8, stockAllocated: 3 });
  });

  it('records receipts and write-offs with who and why; a write-off below what orders hold → 409', async () => {
    const product = await shop.createProduct({ stock: 4 });
    const buyer = await registerCustomer(t, 'inv-adjust');
    await shop.placeOrder(buyer, [[product.id, 3]]);
    expect((await adjust(product.id, { delta: 10, reason: 'Delivery from supplier' }).expect(201)).body).toMatchObject({
      stock: 11,
      stockOnHand: 14,
      stockAllocated: 3,
    });
    expect((await adjust(product.id, { delta: -11, reason: 'Water damage' }).expect(201)).body).toMatchObject({ stock: 0, stockOnHand: 3 });
    expect((await adjust(product.id, { delta: -1, reason: 'Lost' }).expect(409)).body.stockAllocated).toBe(3);
    for (const body of [{ delta: 0, reason: 'nothing' }, { delta: 1.5, reason: 'half' }, { delta: 5 }, { delta: 5, reason: '' }, { delta: 1e9, reason: 'huge' }]) {
      await adjust(product.id, body).expect(400);
    }
    await adjust('0123456789abcdef01234567', { delta: 1, reason: 'ghost' }).expect(404);
    await adjust(product.id, { delta: 1, reason: 'sneaky' }, buyer).expect(403);

    // Who and why are on the adjustments' stock movements (newest first); the product document
    // keeps no list of its own that would grow with every adjustment.
    const movements = (await request(t.http).get(`/api/v1/admin/products/${product.id}/stock-movements`).set(...bearer(admin)).expect(200)).body as { kind: string }[];
    expect(movements.filter((movement) => movement.kind === 'adjustment')).toEqual([
      expect.objectContaining({ delta: -11, reason: 'Water damage', actor: admin.id, at: expect.any(String) }),
      expect.objectContaining({ delta: 10, reason: 'Delivery from supplier', actor: admin.id }),
    ]);
    const stored = await t.connection.collection('products').findOne({ _id: new Types.ObjectId(product.id) });
    expect(stored).not.toHaveProperty('stockAdjustments');
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 0, stockOnHand: 3, stockAllocated: 3 });
  });

  it('admin counts racing checkouts lose no sale and never go negative', async () => {
    const product = await shop.createProduct({ stock: 20 });
    const buyers = await Promise.all(Array.from({ length: 15 }, (_, index) => registerCustomer(t, `race-count-${index}`)));
    for (const buyer of buyers) await shop.addToCart(buyer, product.id, 1).expect(200);
    const [checkouts, counts] = await Promise.all([
      Promise.all(buyers.map((buyer) => shop.checkout(buyer))),
      Promise.all(Array.from({ length: 6 }, () => count(product.id, 30))),
    ]);
    expect(checkouts.map((res) => res.status)).toEqual(buyers.map(() => 201));
    expect(counts.every((res) => res.status === 200 || res.status === 409)).toBe(true);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stockOnHand: 30, stockAllocated: 15, stock: 15 });
  });
});
