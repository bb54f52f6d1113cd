import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

/** Issue 27, #13: a payment provider that cannot be reached is a fixed 503, without its error text; nothing is taken. */
describe('Payment provider outage', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    // Nothing listens on port 1: every Stripe call fails to connect.
    ({ t, admin, shop } = await createShopApp({ env: { STRIPE_API_URL: 'http://127.0.0.1:1' } }));
  });
  afterAll(() => t?.close());

  it('answers checkout 503 with a fixed message, keeps no order and no stock, and leaves the cart', async () => {
    const buyer = await registerCustomer(t, 'outage');
    const product = await shop.createProduct({ stock: 5 });
    await shop.addToCart(buyer, product.id, 2).expect(200);

    const res = await shop.checkout(buyer).expect(503);
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The payment provider is unavailable; try again shortly' });
    expect(JSON.stringify(res.body)).not.toMatch(/stripe|connect|127\.0\.0\.1/i);
    expect(await t.connection.collection('orders').countDocuments({ userId: new Types.ObjectId(buyer.id) })).toBe(0);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockAllocated: 0 });
    expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toHaveLength(1);
  });

  it('gives back what was taken while the payment was being created, once: several lines, a limited code, the unpaid-order place', async () => {
    // Issue 28: the stock and the promotion uses are taken while the PaymentIntent is created, not before it.
    const buyer = await registerCustomer(t, 'outage-promo');
    const products = await Promise.all([shop.createProduct({ stock: 20 }), shop.createProduct({ stock: 20 })]);
    const coupon = (
      await request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ name: 'Outage coupon', code: 'OUTAGE', type: 'fixed', value: 100, usageLimit: 3, perCustomerLimit: 1 }).expect(201)
    ).body;
    for (const product of products) await shop.addToCart(buyer, product.id, 2).expect(200);
    await request(t.http).post('/api/v1/cart/promotions').set(...bearer(buyer)).send({ code: 'outage' }).expect(200);

    // Three attempts: each gives back everything, so none counts against a limit.
    for (let attempt = 0; attempt < 3; attempt += 1) await shop.checkout(buyer).expect(503);
    for (const product of products) {
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 20, stockOnHand: 20, stockAllocated: 0 });
      const movements = (await request(t.http).get(`/api/v1/admin/products/${product.id}/stock-movements`).set(...bearer(admin)).expect(200)).body as { kind: string; delta: number }[];
      const byKind = (kind: string) => movements.filter((movement) => movement.kind === kind).map((movement) => movement.delta);
      // Taken and given back once per attempt.
      expect(byKind('allocation')).toEqual([-2, -2, -2]);
      expect(byKind('release')).toEqual([2, 2, 2]);
    }
    expect((await request(t.http).get(`/api/v1/admin/promotions/${coupon.id}`).set(...bearer(admin)).expect(200)).body.used).toBe(0);
    expect(await t.connection.collection('promotion_customer_uses').findOne({ used: { $gt: 0 } })).toBeNull();
    expect(await t.connection.collection('unpaid_order_slots').countDocuments({ userId: new Types.ObjectId(buyer.id) })).toBe(0);
    expect(await t.connection.collection('orders').countDocuments({ userId: new Types.ObjectId(buyer.id) })).toBe(0);
    expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body).toMatchObject({ items: [expect.anything(), expect.anything()], promotionCodes: ['OUTAGE'] });
  });
});
