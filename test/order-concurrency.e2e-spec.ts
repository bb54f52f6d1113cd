import request from 'supertest';
import { Types } from 'mongoose';
import { OrderMaintenance } from '../src/orders/order-maintenance';
import { Account, bearer, registerCustomer } from './support/accounts';
import { orderEventJobs } from './support/order-jobs';
import { paymentSucceeded, PlacedOrder, Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

/** Far enough ahead that every pending order is past its payment deadline. */
const afterDeadline = () => new Date(Date.now() + 31 * 60_000);

describe('Orders under concurrency: idempotency, webhooks, cancel and expiry races', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({ env: { ORDER_PAYMENT_TTL_MINUTES: '30' } }));
  });
  afterAll(() => t?.close());

  const orderOf = async (id: string) => (await request(t.http).get(`/api/v1/admin/orders/${id}`).set(...bearer(admin)).expect(200)).body;
  const ordersInDb = (userId: string) => t.connection.collection('orders').countDocuments({ userId: new Types.ObjectId(userId) });

  describe('Idempotency-Key', () => {
    it('5 simultaneous checkouts with one key place one order and allocate once', async () => {
      const buyer = await registerCustomer(t, 'idem');
      const product = await shop.createProduct({ stock: 10 });
      await shop.addToCart(buyer, product.id, 3).expect(200);
      const answers = await Promise.all(Array.from({ length: 5 }, () => shop.checkout(buyer, undefined, 'key-one')));
      expect(answers.map((res) => res.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(answers.map((res) => res.body.id)).size).toBe(1);
      expect(await ordersInDb(buyer.id)).toBe(1);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 7, stockAllocated: 3 });

      // A retry after success (the cart is empty now) gets the same order.
      const retry = await shop.checkout(buyer, undefined, 'key-one').expect(201);
      expect(retry.body.id).toBe(answers[0].body.id);
      // The same key for a different cart is refused, and nothing is taken for it.
      await shop.addToCart(buyer, product.id, 1).expect(200);
      const reused = await shop.checkout(buyer, undefined, 'key-one').expect(422);
      expect(reused.body.message).toMatch(/Idempotency-Key/);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 7, stockAllocated: 3 });
      // Another user's identical key is another checkout.
      const other = await registerCustomer(t, 'idem-other');
      await shop.addToCart(other, product.id, 1).expect(200);
      const theirs = await shop.checkout(other, undefined, 'key-one').expect(201);
      expect(theirs.body.id).not.toBe(answers[0].body.id);
    });
  });

  describe('no allocation left behind', () => {
    it('multi-line carts competing for the same products: every unit allocated belongs to a placed order', async () => {
      const a = await shop.createProduct({ stock: 6 });
      const b = await shop.createProduct({ stock: 6 });
      const buyers = await Promise.all(Array.from({ length: 12 }, (_, index) => registerCustomer(t, `multi-${index}`)));
      await Promise.all(
        buyers.map(async (buyer, index) => {
          // Opposite line orders and sizes, so checkouts fail on either line.
          const lines: [string, number][] = index % 2 === 0 ? [[a.id, 1], [b.id, 2]] : [[b.id, 1], [a.id, 2]];
          for (const [productId, quantity] of lines) await shop.addToCart(buyer, productId, quantity).expect(200);
        }),
      );
      const answers = await Promise.all(buyers.map((buyer) => shop.checkout(buyer)));
      expect(answers.every((res) => res.status === 201 || res.status === 409)).toBe(true);
      const placed = answers.filter((res) => res.status === 201).map((res) => res.body);
      expect(placed.length).toBeGreaterThan(0);
      expect(answers.some((res) => res.status === 409)).toBe(true);

      for (const product of [a, b]) {
        const held = placed.flatMap((order) => order.items).filter((line) => line.productId === product.id).reduce((sum, line) => sum + line.quantity, 0);
        expect(await shop.adminProduct(product.id)).toMatchObject({ stockOnHand: 6, stockAllocated: held, stock: 6 - held });
        const stored = await t.connection.collection('products').findOne({ _id: new Types.ObjectId(product.id) });
        expect(stored?.variants[0].allocations.map((entry: { orderId: Types.ObjectId }) => entry.orderId.toHexString()).sort()).toEqual(
          placed.filter((order) => order.items.some((line: { productId: string }) => line.productId === product.id)).map((order) => order.id).sort(),
        );
      }
      expect(await t.connection.collection('orders').countDocuments({ status: 'placing' })).toBe(0);
    });
  });

  describe('webhooks', () => {
    it('the same event delivered 3 times at once moves the order once and publishes one event', async () => {
      const buyer = await registerCustomer(t, 'webhook-3x');
      const product = await shop.createProduct({ stock: 5 });
      const order = await shop.placeOrder(buyer, [[product.id, 1]]);
      const event = paymentSucceeded(order);
      const answers = await Promise.all([shop.deliver(event), shop.deliver(event), shop.deliver(event)]);
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
      expect(answers.map((res) => res.body.outcome).sort()).toEqual(['already-applied', 'already-applied', 'paid']);
      const paid = await orderOf(order.id);
      expect(paid.history.filter((entry: { status: string }) => entry.status === 'paid')).toHaveLength(1);
      const jobs = await orderEventJobs(t, order.id);
      expect(jobs.map((job) => job.data.type)).toEqual(['OrderPlaced', 'OrderPaid']);
      expect(jobs.every((job) => job.id === `order-event:${order.id}:${job.data.eventId}`)).toBe(true);
    });

    it('refuses a bad or missing signature (400) and changes nothing', async () => {
      const buyer = await registerCustomer(t, 'webhook-bad');
      const product = await shop.createProduct({ stock: 5 });
      const order = await shop.placeOrder(buyer, [[product.id, 1]]);
      const event = paymentSucceeded(order);
      const forged = await shop.deliver(event, 'whsec_not_the_secret').expect(400);
      expect(forged.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      await request(t.http).post('/api/v1/payments/webhook').set('Content-Type', 'application/json').send(event).expect(400);
      await request(t.http).post('/api/v1/payments/webhook').set('Stripe-Signature', 't=1,v1=abc').set('Content-Type', 'application/json').send('{}').expect(400);
      expect((await orderOf(order.id)).status).toBe('pending_payment');
      expect(await t.connection.collection('payment_events').countDocuments({ _id: `stripe:${event.id}` } as object)).toBe(0);
      // The genuine delivery of the same event still applies: the refused ones claimed nothing.
      expect((await shop.deliver(event).expect(200)).body.outcome).toBe('paid');
    });

    it('does not mark an order paid when the amount or currency differs', async () => {
      const buyer = await registerCustomer(t, 'webhook-amount');
      const product = await shop.createProduct({ price: 1500, stock: 5 });
      const order = await shop.placeOrder(buyer, [[product.id, 1]]);
      expect((await shop.deliver(paymentSucceeded(order, { amount: 1, amount_received: 1 })).expect(200)).body.outcome).toBe('rejected');
      expect((await shop.deliver(paymentSucceeded(order, { currency: 'eur' })).expect(200)).body.outcome).toBe('rejected');
      expect((await shop.deliver(paymentSucceeded(order, { id: 'pi_someone_else' })).expect(200)).body.outcome).toBe('rejected');
      expect((await orderOf(order.id)).status).toBe('pending_payment');
    });

    it('refunds a payment that succeeds for an expired order, once, and says so in its history', async () => {
      const buyer = await registerCustomer(t, 'late-payment');
      const product = await shop.createProduct({ stock: 5 });
      const order = await shop.placeOrder(buyer, [[product.id, 2]]);
      const report = await t.app.get(OrderMaintenance).sweep(afterDeadline());
      expect(report.ordersExpired).toBeGreaterThanOrEqual(1);
      expect(await orderOf(order.id)).toMatchObject({ status: 'cancelled' });
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockAllocated: 0 });

      const event = paymentSucceeded(order);
      const answers = await Promise.all([shop.deliver(event), shop.deliver(event), shop.deliver(paymentSucceeded(order))]);
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200]);
      const refunded = await orderOf(order.id);
      expect(refunded).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', refundedAmount: order.total } });
      expect(refunded.history.filter((entry: { note?: string }) => /^Refunded .*after the order was cancelled/.test(entry.note ?? ''))).toHaveLength(1);
      const stored = await t.connection.collection('orders').findOne({ _id: new Types.ObjectId(order.id) });
      expect(stored?.payment.refund).toMatchObject({ state: 'succeeded', refundId: expect.stringMatching(/^re_/) });
    });
  });

  describe('cancel and expiry', () => {
    it('a customer cancel racing expiry cancels once and releases once', async () => {
      const product = await shop.createProduct({ stock: 6 });
      const buyers = await Promise.all(Array.from({ length: 4 }, (_, index) => registerCustomer(t, `race-expiry-${index}`)));
      const orders: PlacedOrder[] = [];
      for (const buyer of buyers) orders.push(await shop.placeOrder(buyer, [[product.id, 1]]));
      const maintenance = t.app.get(OrderMaintenance);
      const [cancels] = await Promise.all([
        Promise.all(buyers.map((buyer, index) => request(t.http).post(`/api/v1/orders/${orders[index].id}/cancel`).set(...bearer(buyer)))),
        maintenance.sweep(afterDeadline()),
        maintenance.sweep(afterDeadline()),
      ]);
      expect(cancels.every((res) => res.status === 200 || res.status === 409)).toBe(true);
      for (const order of orders) {
        const read = await orderOf(order.id);
        expect(read.status).toBe('cancelled');
        expect(read.history.filter((entry: { status: string }) => entry.status === 'cancelled')).toHaveLength(1);
        expect((await orderEventJobs(t, order.id)).map((job) => job.data.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
      }
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 6, stockOnHand: 6, stockAllocated: 0 });
    });

    it('paid orders are not expired; simultaneous cancels of a paid order refund once and release once', async () => {
      const buyer = await registerCustomer(t, 'paid-cancel');
      const product = await shop.createProduct({ stock: 3 });
      const order = await shop.placeOrder(buyer, [[product.id, 2]]);
      await shop.deliver(paymentSucceeded(order)).expect(200);
      await t.app.get(OrderMaintenance).sweep(afterDeadline());
      expect((await orderOf(order.id)).status).toBe('paid');

      const answers = await Promise.all(Array.from({ length: 3 }, () => request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer))));
      expect(answers.map((res) => res.status).sort()).toEqual([200, 409, 409]);
      const read = await orderOf(order.id);
      expect(read).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', refundedAmount: order.total } });
      expect(read.history.filter((entry: { note?: string }) => entry.note?.startsWith('Refunded'))).toHaveLength(1);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 3, stockAllocated: 0 });
    });
  });
});
