import mongoose from 'mongoose';
import request from 'supertest';
import { Account, login, registerCustomer } from './support/accounts';
import { PAYPAL_TEST_ENV } from './support/paypal';
import { ADDRESS, Shop, SHOP_ADMIN } from './support/shop';
import { apiProcessesForSuite } from './support/node-process';
import { testEnvironment } from './support/test-env';

/**
 * No oversell the way the shop scales out: two API processes started from the built app
 * (scripts/test.sh builds dist/ first) on the same MongoDB and Redis, 50 buyers checking out the
 * last 10 units at the same moment, half through each process, and half of them paying with
 * PayPal (the local test double), half with Stripe.
 */
const BUYERS = 50;
const STOCK = 10;

describe('No oversell across two API processes', () => {
  const env: Record<string, string> = { ...testEnvironment(PAYPAL_TEST_ENV), ADMIN_EMAIL: SHOP_ADMIN.email, ADMIN_PASSWORD: SHOP_ADMIN.password };
  const { urls } = apiProcessesForSuite(env);

  it(`stock ${STOCK}, ${BUYERS} buyers at once → exactly ${STOCK} orders, ${BUYERS - STOCK} × 409, no 5xx`, async () => {
    const admin = await login(urls[0], SHOP_ADMIN.email, SHOP_ADMIN.password);
    const shops = urls.map((url) => new Shop(url, admin));
    const product = await shops[0].createProduct({ stock: STOCK });

    const buyers: Account[] = [];
    for (let start = 0; start < BUYERS; start += 10) {
      buyers.push(...(await Promise.all(Array.from({ length: 10 }, (_, index) => registerCustomer(urls[(start + index) % 2], `oversell-${start + index}`)))));
    }
    await Promise.all(buyers.map((buyer, index) => shops[index % 2].addToCart(buyer, product.id, 1).expect(200)));

    // Buyers 0, 1, 4, 5, … pay with PayPal: each process gets both providers.
    const provider = (index: number) => (index % 4 < 2 ? 'paypal' : 'stripe');
    const answers = await Promise.all(buyers.map((buyer, index) => shops[index % 2].checkout(buyer, { shippingAddress: ADDRESS, paymentProvider: provider(index) })));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status === 201)).toHaveLength(STOCK);
    expect(statuses.filter((status) => status === 409)).toHaveLength(BUYERS - STOCK);
    for (const refused of answers.filter((res) => res.status === 409)) {
      expect(refused.body.lines).toEqual([{ productId: product.id, variantId: product.id, requested: 1, available: 0 }]);
    }
    answers.forEach((res, index) => res.status === 201 && expect(res.body.payment.provider).toBe(provider(index)));

    expect(await shops[1].adminProduct(product.id)).toMatchObject({ stock: 0, stockOnHand: STOCK, stockAllocated: STOCK });
    expect((await request(urls[1]).get(`/api/v1/products/${product.id}`).expect(200)).body.stock).toBe(0);
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    try {
      expect(await connection.collection('orders').countDocuments({ status: 'pending_payment' })).toBe(STOCK);
      expect(await connection.collection('orders').countDocuments({ status: 'placing' })).toBe(0);
      const numbers = await connection.collection('orders').distinct('number');
      expect(numbers).toHaveLength(STOCK);
    } finally {
      await connection.close();
    }
  });

  it('order numbers stay unique and increasing while both processes place orders at once', async () => {
    // Issue 28: the number is taken while the cart is priced, beside the other reads.
    const admin = await login(urls[0], SHOP_ADMIN.email, SHOP_ADMIN.password);
    const shops = urls.map((url) => new Shop(url, admin));
    const product = await shops[0].createProduct({ stock: 100 });
    const buyers = await Promise.all(Array.from({ length: 10 }, (_, index) => registerCustomer(urls[index % 2], `numbers-${index}`)));
    const ROUNDS = 3;
    // Each buyer checks out ROUNDS times in turn, alternating processes; the buyers all at once.
    const numbersOf = await Promise.all(
      buyers.map(async (buyer, index) => {
        const mine: string[] = [];
        for (let round = 0; round < ROUNDS; round += 1) {
          const shop = shops[(index + round) % 2];
          await shop.addToCart(buyer, product.id, 1).expect(200);
          mine.push((await shop.checkout(buyer).expect(201)).body.number);
        }
        return mine;
      }),
    );
    const all = numbersOf.flat();
    expect(all.every((number) => /^ORD-\d{6}$/.test(number))).toBe(true);
    expect(new Set(all).size).toBe(buyers.length * ROUNDS);
    // A buyer's later order has the higher number, whichever process placed either.
    for (const mine of numbersOf) expect([...mine].sort()).toEqual(mine);
  });
});
