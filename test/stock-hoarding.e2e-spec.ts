import request from 'supertest';
import { Types } from 'mongoose';
import { Account, bearer, registerCustomer, uniqueEmail } from './support/accounts';
import { ADDRESS, paymentSucceeded, Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

/**
 * Issue 27, high #1: one account must not be able to hold the catalog's stock without paying.
 * Unpaid orders per customer, lines per cart and units per product and order are capped; each
 * refusal takes nothing (no stock, no order, the cart as it was).
 */
describe('Stock hoarding limits', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({
      env: { MAX_UNPAID_ORDERS: '3', MAX_CART_LINES: '3', MAX_UNITS_PER_LINE: '50', ORDER_PAYMENT_TTL_MINUTES: '30' },
    }));
  });
  afterAll(() => t?.close());

  const cartOf = async (account: Account) => (await request(t.http).get('/api/v1/cart').set(...bearer(account)).expect(200)).body;
  const ordersOf = (account: Account) => t.connection.collection('orders').countDocuments({ userId: new Types.ObjectId(account.id) });
  const cancel = (account: Account, orderId: string) => request(t.http).post(`/api/v1/orders/${orderId}/cancel`).set(...bearer(account));

  describe('MAX_UNPAID_ORDERS', () => {
    const expectCapRefusal = (refused: request.Response) => {
      expect(refused.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/3 unpaid orders/) });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(30 * 60);
    };

    it('lets simultaneous checkouts of one customer place no more than the cap; the rest get 429 with Retry-After', async () => {
      const hoarder = await registerCustomer(t, 'hoarder');
      const product = await shop.createProduct({ stock: 100 });
      await shop.addToCart(hoarder, product.id, 2).expect(200);

      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => shop.checkout(hoarder, undefined, `hoard-${i}`)));
      // One cart: a checkout that reads it after a placed one emptied it finds nothing to order
      // (400), which a busy machine makes more likely; every other one is placed or refused.
      const placed = results.filter((res) => res.status === 201);
      const refused = results.filter((res) => res.status === 429);
      const emptied = results.filter((res) => res.status === 400);
      expect(placed.length + refused.length + emptied.length).toBe(8);
      expect(placed.length).toBeGreaterThanOrEqual(1);
      expect(placed.length).toBeLessThanOrEqual(3);
      for (const res of refused) expectCapRefusal(res);
      for (const res of emptied) expect(res.body.message).toBe('The cart is empty');
      expect(await ordersOf(hoarder)).toBe(placed.length);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 100 - 2 * placed.length, stockAllocated: 2 * placed.length });
    });

    it('holds the cap exactly when simultaneous checkouts each have their own cart (guests with one email)', async () => {
      const product = await shop.createProduct({ stock: 100 });
      const email = uniqueEmail('hoarding-guest');
      const tokens = await Promise.all(
        Array.from({ length: 8 }, async () => (await request(t.http).post('/api/v1/cart/items').send({ productId: product.id, quantity: 2 }).expect(200)).body.cartToken as string),
      );
      const results = await Promise.all(tokens.map((token) => request(t.http).post('/api/v1/checkout').set('X-Cart-Token', token).send({ email, shippingAddress: ADDRESS })));
      expect(results.map((res) => res.status).sort()).toEqual([201, 201, 201, 429, 429, 429, 429, 429]);
      for (const res of results.filter((each) => each.status === 429)) expectCapRefusal(res);
      expect(await t.connection.collection('orders').countDocuments({ email })).toBe(3);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 94, stockAllocated: 6 });
    });

    it('takes nothing from a customer at the cap: no order, no stock, the cart unchanged; paying or cancelling one frees a place', async () => {
      const buyer = await registerCustomer(t, 'capped');
      const product = await shop.createProduct({ stock: 50 });
      const placed = [];
      for (let i = 0; i < 3; i += 1) placed.push(await shop.placeOrder(buyer, [[product.id, 1]]));
      await shop.addToCart(buyer, product.id, 4).expect(200);
      const cartBefore = await cartOf(buyer);

      const refused = await shop.checkout(buyer).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(await ordersOf(buyer)).toBe(3);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 47, stockAllocated: 3 });
      expect(await cartOf(buyer)).toEqual(cartBefore);

      // Another customer is not affected by this one's orders.
      const other = await registerCustomer(t, 'not-capped');
      await shop.placeOrder(other, [[product.id, 1]]);

      await cancel(buyer, placed[0].id).expect(200);
      const fourth = (await shop.checkout(buyer).expect(201)).body;
      await shop.addToCart(buyer, product.id, 1).expect(200);
      await shop.checkout(buyer).expect(429);
      await shop.deliver(paymentSucceeded(fourth)).expect(200);
      await shop.checkout(buyer).expect(201);
      await shop.checkout(buyer).expect(400); // the cart was emptied by that checkout
      expect(await ordersOf(buyer)).toBe(5);
    });

    it('answers a retry with the same Idempotency-Key with its order even at the cap', async () => {
      const buyer = await registerCustomer(t, 'capped-retry');
      const product = await shop.createProduct({ stock: 20 });
      for (let i = 0; i < 2; i += 1) await shop.placeOrder(buyer, [[product.id, 1]]);
      await shop.addToCart(buyer, product.id, 1).expect(200);
      const [first, second] = await Promise.all([shop.checkout(buyer, undefined, 'same-key'), shop.checkout(buyer, undefined, 'same-key')]);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body.id).toBe(first.body.id);
      expect((await shop.checkout(buyer, undefined, 'same-key').expect(201)).body.id).toBe(first.body.id);
      expect(await ordersOf(buyer)).toBe(3);
    });
  });

  describe('MAX_CART_LINES', () => {
    it('refuses a new line beyond the cap with 409, leaving the cart as it was, also when two adds race for the last line', async () => {
      const buyer = await registerCustomer(t, 'many-lines');
      const products = await Promise.all(Array.from({ length: 5 }, () => shop.createProduct({ stock: 10 })));
      await shop.addToCart(buyer, products[0].id, 1).expect(200);
      await shop.addToCart(buyer, products[1].id, 1).expect(200);

      const raced = await Promise.all([shop.addToCart(buyer, products[2].id, 1), shop.addToCart(buyer, products[3].id, 1)]);
      expect(raced.map((res) => res.status).sort()).toEqual([200, 409]);
      const full = await cartOf(buyer);
      expect(full.items).toHaveLength(3);

      const refused = await shop.addToCart(buyer, products[4].id, 1).expect(409);
      expect(refused.body).toMatchObject({ statusCode: 409, message: 'A cart holds at most 3 lines', maxCartLines: 3 });
      expect(await cartOf(buyer)).toEqual(full);
      // More of a product already in the cart is no new line.
      expect((await shop.addToCart(buyer, products[0].id, 2).expect(200)).body.items).toHaveLength(3);
    });
  });

  describe('maxPerOrder', () => {
    it('lets an admin set it on a product (1–999) and shows it', async () => {
      const product = await shop.createProduct({ stock: 10, maxPerOrder: 2 });
      expect(product).toMatchObject({ maxPerOrder: 2 });
      expect((await request(t.http).get(`/api/v1/products/${product.id}`).expect(200)).body.maxPerOrder).toBe(2);
      const patch = (body: object) => request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send(body);
      for (const bad of [0, -1, 1000, 2.5, null, '3']) await patch({ maxPerOrder: bad }).expect(400);
      expect((await patch({ maxPerOrder: 5 }).expect(200)).body.maxPerOrder).toBe(5);
      expect(((await shop.createProduct({ stock: 1 })) as { maxPerOrder?: number }).maxPerOrder).toBeUndefined();
    });

    it('refuses a cart line above the product limit with 409 naming it, the cart unchanged', async () => {
      const buyer = await registerCustomer(t, 'limited-units');
      const product = await shop.createProduct({ stock: 100, maxPerOrder: 2 });
      const over = await shop.addToCart(buyer, product.id, 3).expect(409);
      expect(over.body).toMatchObject({ message: 'At most 2 units of this product per order', lines: [{ productId: product.id, requested: 3, maxPerOrder: 2 }] });
      expect((await cartOf(buyer)).items).toEqual([]);
      await shop.addToCart(buyer, product.id, 2).expect(200);
      await shop.addToCart(buyer, product.id, 1).expect(409);
      await request(t.http).patch(`/api/v1/cart/items/${product.id}`).set(...bearer(buyer)).send({ quantity: 3 }).expect(409);
      expect((await cartOf(buyer)).items).toMatchObject([{ productId: product.id, quantity: 2 }]);
    });

    it('holds the store default MAX_UNITS_PER_LINE for products without their own limit', async () => {
      const buyer = await registerCustomer(t, 'store-limit');
      const product = await shop.createProduct({ stock: 500 });
      const over = await shop.addToCart(buyer, product.id, 51).expect(409);
      expect(over.body).toMatchObject({ message: 'At most 50 units of this product per order', lines: [{ maxPerOrder: 50 }] });
      await shop.addToCart(buyer, product.id, 50).expect(200);
      // A product's own limit may be above the store default.
      const bulk = await shop.createProduct({ stock: 500, maxPerOrder: 200 });
      await shop.addToCart(buyer, bulk.id, 120).expect(200);
    });

    it('refuses at checkout a line above a limit lowered after it was added: 409 naming it, nothing taken', async () => {
      const buyer = await registerCustomer(t, 'lowered-limit');
      const product = await shop.createProduct({ stock: 20, maxPerOrder: 10 });
      await shop.addToCart(buyer, product.id, 6).expect(200);
      await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ maxPerOrder: 4 }).expect(200);
      const refused = await shop.checkout(buyer).expect(409);
      expect(refused.body).toMatchObject({ lines: [{ productId: product.id, requested: 6, maxPerOrder: 4 }] });
      expect(await ordersOf(buyer)).toBe(0);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 20, stockAllocated: 0 });
      expect((await cartOf(buyer)).items).toMatchObject([{ quantity: 6 }]);
    });
  });
});
