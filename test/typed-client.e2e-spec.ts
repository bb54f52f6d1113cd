import { randomBytes, randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import Stripe from 'stripe';
import { createShopClient, type ShopClient } from '@app/client';
import { uniqueEmail } from './support/accounts';
import { ServerProcess } from './support/server-process';
import { paymentSucceeded } from './support/shop';
import { TEST_WEBHOOK_SECRET, testEnvironment } from './support/test-env';

/**
 * The purchase path through the typed client (libs/client), against the built API as a process:
 * every request shape comes from the generated types, none is written here. The Stripe event is
 * Stripe's own shape, not the API's.
 */
describe('The typed client (libs/client)', () => {
  const admin = { email: uniqueEmail('client-admin'), password: randomBytes(12).toString('hex') };
  const env = testEnvironment({ ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
  let api: ServerProcess;
  let baseUrl: string;

  beforeAll(async () => {
    api = await ServerProcess.api(env);
    baseUrl = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api?.stop();
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    await connection.dropDatabase();
    await connection.close();
  });

  /** The data of a successful answer; an error answer fails the test with its body. */
  async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await call;
    expect({ status: response.status, error }).toEqual({ status: response.status, error: undefined });
    return data as T;
  }

  it('walks register, search, cart, checkout, signed payment webhook, paid, shipped', async () => {
    const anonymous = createShopClient({ baseUrl });

    const registered = await ok(
      anonymous.POST('/api/v1/auth/register', { body: { email: uniqueEmail('client-buyer'), password: 'client buyer password', name: 'Buyer' } }),
    );
    const buyer: ShopClient = createShopClient({ baseUrl, accessToken: registered.accessToken });
    const adminLogin = await ok(anonymous.POST('/api/v1/auth/login', { body: admin }));
    const shopAdmin = createShopClient({ baseUrl, accessToken: () => adminLogin.accessToken });

    const category = await ok(shopAdmin.POST('/api/v1/admin/categories', { body: { name: 'Typed lamps' } }));
    const title = `Typed lamp ${randomBytes(3).toString('hex')}`;
    const created = await ok(
      shopAdmin.POST('/api/v1/admin/products', {
        body: { title, description: 'A lamp bought through the typed client', brand: 'Acme', category: category.slug, price: 2500, stock: 3 },
      }),
    );

    const found = await ok(buyer.GET('/api/v1/products', { params: { query: { q: title, category: category.slug, page: 1, limit: 10 } } }));
    expect(found.items.map((product) => product.id)).toEqual([created.id]);

    const cart = await ok(buyer.POST('/api/v1/cart/items', { body: { productId: created.id, quantity: 2 } }));
    expect(cart.items.map((line) => [line.productId, line.quantity])).toEqual([[created.id, 2]]);

    const placed = await ok(
      buyer.POST('/api/v1/checkout', {
        params: { header: { 'Idempotency-Key': randomUUID() } },
        body: { shippingAddress: { fullName: 'Typed Buyer', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' }, paymentProvider: 'stripe' },
      }),
    );
    expect(placed).toMatchObject({ status: 'pending_payment', total: 5000 });

    const payload = JSON.stringify(paymentSucceeded({ ...placed, payment: { ...placed.payment, paymentIntentId: placed.payment.paymentIntentId! } }));
    const ack = await ok(
      anonymous.POST('/api/v1/payments/webhook', {
        // The document leaves the signature header and the event (Stripe's shape, not the API's) open.
        headers: { 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_WEBHOOK_SECRET }) },
        body: JSON.parse(payload),
        // Stripe signs the exact bytes: send the string that was signed.
        bodySerializer: () => payload,
      }),
    );
    expect(ack).toEqual({ received: true, outcome: 'paid' });
    expect(await ok(buyer.GET('/api/v1/orders/{id}', { params: { path: { id: placed.id } } }))).toMatchObject({ status: 'paid' });

    await ok(shopAdmin.PATCH('/api/v1/admin/orders/{id}/status', { params: { path: { id: placed.id } }, body: { status: 'processing' } }));
    const shipped = await ok(
      shopAdmin.PATCH('/api/v1/admin/orders/{id}/status', { params: { path: { id: placed.id } }, body: { status: 'shipped', trackingNumber: 'TRK-TYPED-1' } }),
    );
    expect(shipped).toMatchObject({ status: 'shipped', trackingNumber: 'TRK-TYPED-1' });
    const seenByBuyer = await ok(buyer.GET('/api/v1/orders', { params: { query: { page: 1, limit: 5 } } }));
    expect(seenByBuyer.items.map((order) => [order.id, order.status])).toEqual([[placed.id, 'shipped']]);
  });
});
