import { getQueueToken } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { Types } from 'mongoose';
import request from 'supertest';
import { OrderEffects } from '../src/orders/effects/order-effects';
import type { OrderEventJob } from '../src/orders/events/order-events';
import { OrderMaintenance } from '../src/orders/order-maintenance';
import { EFFECT_JOB_ATTEMPTS, OutboxRelay } from '../src/orders/outbox/outbox-relay';
import { InventoryService } from '../src/products/inventory.service';
import { Account, bearer, registerCustomer } from './support/accounts';
import { waitForFinishedJobs } from './support/jobs';
import { createShopApp, paymentSucceeded, PlacedOrder, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

/**
 * The test hooks: the API process "dies" right after a transition's write, before the relay hands
 * its event to the queue and before the request runs the event's effects. Only the sweeper (which
 * relays what the outbox holds) and the `order-effects` job can finish the work.
 */
@Injectable()
class RelayThatDiesAfterTheWrite extends OutboxRelay {
  override async afterWrite(): Promise<void> {}
}

@Injectable()
class EffectsThatDieInTheRequest extends OrderEffects {
  override async runNow(): Promise<void> {}
}

describe('Order effects are done by the handlers of their events, each exactly once, whatever crashes in between', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  let queue: Queue;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({
      // This process also runs the jobs, as the worker would.
      env: { RUN_WORKER_IN_API: 'true' },
      overrides: [
        { provide: OutboxRelay, useClass: RelayThatDiesAfterTheWrite },
        { provide: OrderEffects, useClass: EffectsThatDieInTheRequest },
      ],
    }));
    queue = t.app.get<Queue>(getQueueToken('orders'));
  });
  afterAll(() => t?.close());

  const later = () => new Date(Date.now() + 60_000);
  const read = async (orderId: string) => (await request(t.http).get(`/api/v1/admin/orders/${orderId}`).set(...bearer(admin)).expect(200)).body;
  const effectJobs = (orderId: string, count: number) =>
    waitForFinishedJobs(queue, (job: Job) => job.name === 'order-effects' && (job.data as OrderEventJob).orderId === orderId, count);
  const effectRecords = (orderId: string) =>
    t.connection
      .collection('order_effects')
      .find({ _id: { $regex: `^${orderId}:` } } as object)
      .sort({ _id: 1 })
      .toArray();
  const outboxOf = async (orderId: string) =>
    (await t.connection.collection('orders').findOne({ _id: new Types.ObjectId(orderId) }))?.outbox.map((entry: { type: string }) => entry.type);
  const refundNotes = (order: { history: { note?: string }[] }) => order.history.filter((entry) => entry.note?.startsWith('Refunded'));

  async function paidOrder(tag: string, product: { id: string }, quantity: number): Promise<PlacedOrder> {
    const buyer = await registerCustomer(t, tag);
    const order = await shop.placeOrder(buyer, [[product.id, quantity]]);
    await shop.deliver(paymentSucceeded(order)).expect(200);
    return order;
  }

  it('a paid order cancelled just before a crash gets its stock back and its refund once, through the sweeper and the job', async () => {
    const product = await shop.createProduct({ stock: 5 });
    const order = await paidOrder('crash-cancel', product, 2);

    const cancelled = (await shop.setStatus(order.id, 'cancelled').expect(200)).body;
    // Recorded, nothing done yet: the process died before any effect.
    expect(cancelled).toMatchObject({ status: 'cancelled', payment: { status: 'succeeded' } });
    expect(await outboxOf(order.id)).toEqual(['OrderPlaced', 'OrderPaid', 'OrderCancelled']);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 3, stockOnHand: 5, stockAllocated: 2 });

    // The sweeper relays the outbox; the job does the effects.
    await t.app.get(OrderMaintenance).sweep(later());
    const [job] = await effectJobs(order.id, 1);
    expect(job.returnvalue).toEqual({ 'release-stock': 'done', refund: 'done' });
    // A refund must outlast a provider outage: its job retries far longer than the queue's default.
    expect(job.opts.attempts).toBe(EFFECT_JOB_ATTEMPTS);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockOnHand: 5, stockAllocated: 0 });
    const refunded = await read(order.id);
    expect(refunded).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', refundedAmount: order.total } });
    expect(refundNotes(refunded)).toHaveLength(1);

    // The refund recorded its own event; the next sweep relays it (no effects of its own).
    expect(await outboxOf(order.id)).toEqual(['OrderRefunded']);
    await t.app.get(OrderMaintenance).sweep(later());
    expect(await outboxOf(order.id)).toEqual([]);

    // The same event handled again, three times at once (a redelivered job, a second worker): nothing twice.
    const again = await Promise.all([1, 2, 3].map(() => t.app.get(OrderEffects).handle(job.data as OrderEventJob)));
    expect(again).toEqual([1, 2, 3].map(() => ({ 'release-stock': 'already-done' })));
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockOnHand: 5, stockAllocated: 0 });
    expect(refundNotes(await read(order.id))).toHaveLength(1);
    expect(await effectRecords(order.id)).toEqual([
      expect.objectContaining({ _id: `${order.id}:refund`, state: 'done', takeovers: 0 }),
      expect.objectContaining({ _id: `${order.id}:release-stock`, state: 'done', takeovers: 0 }),
    ]);
  });

  it('a worker that died mid-effect (stock given back, refund not recorded) is taken over once its claim is stale', async () => {
    const product = await shop.createProduct({ stock: 4 });
    const order = await paidOrder('crash-mid-effect', product, 3);
    await shop.setStatus(order.id, 'cancelled').expect(200);

    // What the dead worker got done: both effects claimed, the units given back on the product,
    // neither effect marked done, nothing recorded on the order.
    await t.app.get(InventoryService).release(order.id, [{ productId: product.id, variantId: product.id, quantity: 3 }]);
    const claimedAt = new Date(Date.now() - 10 * 60_000);
    await t.connection.collection('order_effects').insertMany([
      { _id: `${order.id}:release-stock`, state: 'running', claimId: 'dead-worker', claimedAt, takeovers: 0 },
      { _id: `${order.id}:refund`, state: 'running', claimId: 'dead-worker', claimedAt, takeovers: 0 },
    ] as never[]);

    await t.app.get(OrderMaintenance).sweep(later());
    const [job] = await effectJobs(order.id, 1);
    expect(job.returnvalue).toEqual({ 'release-stock': 'done', refund: 'done' });
    // Given back once, not twice: the product side ignores a second release of the order.
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockOnHand: 4, stockAllocated: 0 });
    const refunded = await read(order.id);
    expect(refunded).toMatchObject({ payment: { status: 'refunded', refundedAmount: order.total } });
    expect(refundNotes(refunded)).toHaveLength(1);
    expect(await effectRecords(order.id)).toEqual([
      expect.objectContaining({ state: 'done', takeovers: 1 }),
      expect.objectContaining({ state: 'done', takeovers: 1 }),
    ]);
  });

  it('a shipment takes the units off the shelf once; an unpaid cancel cancels the provider payment once', async () => {
    const product = await shop.createProduct({ stock: 6 });
    const shipped = await paidOrder('crash-ship', product, 2);
    await shop.setStatus(shipped.id, 'processing').expect(200);
    await shop.setStatus(shipped.id, 'shipped', 'TRACK-9').expect(200);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockOnHand: 6, stockAllocated: 2 });

    const buyer = await registerCustomer(t, 'crash-unpaid');
    const unpaid = await shop.placeOrder(buyer, [[product.id, 1]]);
    await request(t.http).post(`/api/v1/orders/${unpaid.id}/cancel`).set(...bearer(buyer)).expect(200);

    await t.app.get(OrderMaintenance).sweep(later());
    const [shipJob] = await effectJobs(shipped.id, 1);
    const [cancelJob] = await effectJobs(unpaid.id, 1);
    expect(shipJob.returnvalue).toEqual({ 'ship-stock': 'done' });
    expect(cancelJob.returnvalue).toEqual({ 'release-stock': 'done', 'cancel-intent': 'done' });
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockOnHand: 4, stockAllocated: 0 });

    expect(await t.app.get(OrderEffects).handle(shipJob.data as OrderEventJob)).toEqual({ 'ship-stock': 'already-done' });
    expect(await t.app.get(OrderEffects).handle(cancelJob.data as OrderEventJob)).toEqual({ 'release-stock': 'already-done', 'cancel-intent': 'already-done' });
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockOnHand: 4, stockAllocated: 0 });
  });
});
