import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import request from 'supertest';
import { Account, bearer, login } from './accounts';
import { createTestApp, TestApp } from './test-app';
import { TEST_WEBHOOK_SECRET } from './test-env';

/** What supertest can send requests to: an in-process server or a base URL (a process). */
export type Target = Parameters<typeof request>[0];

export const SHOP_ADMIN = { email: 'shop-admin@example.test', password: 'shop admin password' };

/**
 * A test app whose first admin is SHOP_ADMIN (created at start-up, as ADMIN_EMAIL does in
 * production), that admin logged in, and a Shop acting as them.
 */
export async function createShopApp(
  options: Parameters<typeof createTestApp>[0] = {},
): Promise<{ t: TestApp; admin: Account; shop: Shop }> {
  const t = await createTestApp({ ...options, env: { ADMIN_EMAIL: SHOP_ADMIN.email, ADMIN_PASSWORD: SHOP_ADMIN.password, ...options.env } });
  const admin = await login(t, SHOP_ADMIN.email, SHOP_ADMIN.password);
  return { t, admin, shop: new Shop(t.http, admin) };
}

export interface ProductFields {
  title?: string;
  price?: number;
  stock?: number;
  status?: string;
  maxPerOrder?: number;
}

/** Test data through the real API: categories, products, carts, checkouts, signed webhooks. */
export class Shop {
  private category?: string;

  constructor(
    private readonly target: Target,
    private readonly admin: Account,
  ) {}

  async createProduct(fields: ProductFields = {}): Promise<{ id: string; price: number; stock: number }> {
    if (!this.category) {
      const name = `Category ${randomBytes(3).toString('hex')}`;
      const res = await request(this.target).post('/api/v1/admin/categories').set(...bearer(this.admin)).send({ name }).expect(201);
      this.category = res.body.slug as string;
    }
    const res = await request(this.target)
      .post('/api/v1/admin/products')
      .set(...bearer(this.admin))
      .send({
        title: fields.title ?? `Product ${randomBytes(3).toString('hex')}`,
        description: 'A product for tests.',
        brand: 'Testbrand',
        category: this.category,
        price: fields.price ?? 1000,
        stock: fields.stock ?? 10,
        ...(fields.status && { status: fields.status }),
        ...(fields.maxPerOrder !== undefined && { maxPerOrder: fields.maxPerOrder }),
      })
      .expect(201);
    return res.body;
  }

  async adminProduct(productId: string): Promise<{ stock: number; stockOnHand: number; stockAllocated: number; status: string }> {
    return (await request(this.target).get(`/api/v1/admin/products/${productId}`).set(...bearer(this.admin)).expect(200)).body;
  }

  addToCart(account: Account, productId: string, quantity: number) {
    return request(this.target).post('/api/v1/cart/items').set(...bearer(account)).send({ productId, quantity });
  }

  checkout(account: Account, body: object = { shippingAddress: ADDRESS }, idempotencyKey?: string) {
    const req = request(this.target).post('/api/v1/checkout').set(...bearer(account));
    if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  }

  /** Adds the lines and checks out; expects the order to be placed. */
  async placeOrder(account: Account, lines: [productId: string, quantity: number][]): Promise<PlacedOrder> {
    for (const [productId, quantity] of lines) await this.addToCart(account, productId, quantity).expect(200);
    return (await this.checkout(account).expect(201)).body;
  }

  setStatus(orderId: string, status: string, trackingNumber?: string) {
    return request(this.target)
      .patch(`/api/v1/admin/orders/${orderId}/status`)
      .set(...bearer(this.admin))
      .send({ status, ...(trackingNumber && { trackingNumber }) });
  }

  /** Delivers a Stripe event signed with the test app's webhook secret. */
  deliver(event: object, secret = TEST_WEBHOOK_SECRET) {
    const payload = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    return request(this.target).post('/api/v1/payments/webhook').set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload);
  }

  /** An order taken all the way through HTTP: checkout, signed payment webhook, admin steps to `delivered`. */
  async deliveredOrder(account: Account, lines: [productId: string, quantity: number][]): Promise<PlacedOrder> {
    const order = await this.placeOrder(account, lines);
    await this.deliver(paymentSucceeded(order)).expect(200);
    for (const status of ['processing', 'shipped', 'delivered']) await this.setStatus(order.id, status, status === 'shipped' ? 'TRACK-1' : undefined).expect(200);
    return { ...order, status: 'delivered' };
  }
}

export interface PlacedOrder {
  id: string;
  number: string;
  status: string;
  total: number;
  currency: string;
  payment: { provider: string; status: string; paymentIntentId: string; clientSecret?: string };
  [field: string]: unknown;
}

export const ADDRESS = { fullName: 'Ada Buyer', line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' };

/** A `payment_intent.succeeded` event as Stripe sends it for the order (fields overridable). */
export function paymentSucceeded(order: PlacedOrder, intent: Record<string, unknown> = {}, eventId = `evt_${randomBytes(8).toString('hex')}`) {
  return stripeEvent(eventId, 'payment_intent.succeeded', {
    id: order.payment.paymentIntentId,
    object: 'payment_intent',
    amount: order.total,
    amount_received: order.total,
    currency: order.currency,
    status: 'succeeded',
    metadata: { orderId: order.id, orderNumber: order.number },
    ...intent,
  });
}

export function paymentFailed(order: PlacedOrder, eventId = `evt_${randomBytes(8).toString('hex')}`) {
  return stripeEvent(eventId, 'payment_intent.payment_failed', {
    id: order.payment.paymentIntentId,
    object: 'payment_intent',
    amount: order.total,
    amount_received: 0,
    currency: order.currency,
    status: 'requires_payment_method',
    metadata: { orderId: order.id, orderNumber: order.number },
    last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  });
}

function stripeEvent(id: string, type: string, object: Record<string, unknown>) {
  return { id, object: 'event', type, api_version: '2024-06-20', created: Math.floor(Date.now() / 1000), livemode: false, data: { object } };
}
