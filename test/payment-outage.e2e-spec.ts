import { Types } from 'mongoose';
import request from 'supertest';
import { bearer, registerCustomer } from './support/accounts';
import { createShopApp } from './support/shop';

/** Issue 27, #13: a payment provider that cannot be reached is a fixed 503, without its error text; nothing is taken. */
describe('Payment provider outage', () => {
  it('answers checkout 503 with a fixed message, keeps no order and no stock, and leaves the cart', async () => {
    // Nothing listens on port 1: every Stripe call fails to connect.
    const { t, shop } = await createShopApp({ env: { STRIPE_API_URL: 'http://127.0.0.1:1' } });
    try {
      const buyer = await registerCustomer(t, 'outage');
      const product = await shop.createProduct({ stock: 5 });
      await shop.addToCart(buyer, product.id, 2).expect(200);

      const res = await shop.checkout(buyer).expect(503);
      expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The payment provider is unavailable; try again shortly' });
      expect(JSON.stringify(res.body)).not.toMatch(/stripe|connect|127\.0\.0\.1/i);
      expect(await t.connection.collection('orders').countDocuments({ userId: new Types.ObjectId(buyer.id) })).toBe(0);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockAllocated: 0 });
      expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
