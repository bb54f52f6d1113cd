import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { OrderMaintenance } from '../src/orders/order-maintenance';
import { OutboxRelay } from '../src/orders/outbox/outbox-relay';
import { registerCustomer } from './support/accounts';
import { orderEventJobs } from './support/order-jobs';
import { paymentSucceeded, Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

/**
 * The test hook: the process "dies" right after a transition's write, before its relay hands the
 * recorded event to the queue. Only the sweeper can deliver it.
 */
@Injectable()
class RelayThatDiesAfterTheWrite extends OutboxRelay {
  override async afterWrite(): Promise<void> {}
}

describe('Outbox: an event recorded with its write reaches the queue once, even when the relay never ran', () => {
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, shop } = await createShopApp({ overrides: [{ provide: OutboxRelay, useClass: RelayThatDiesAfterTheWrite }] }));
  });
  afterAll(() => t?.close());

  const outboxOf = async (orderId: string) =>
    (await t.connection.collection('orders').findOne({ _id: new Types.ObjectId(orderId) }))?.outbox.map((entry: { type: string }) => entry.type);

  it('the sweeper hands over what the crash left, once, however often it runs', async () => {
    const buyer = await registerCustomer(t, 'outbox');
    const product = await shop.createProduct({ stock: 3 });
    const order = await shop.placeOrder(buyer, [[product.id, 1]]);
    await shop.deliver(paymentSucceeded(order)).expect(200);

    expect(await outboxOf(order.id)).toEqual(['OrderPlaced', 'OrderPaid']);
    expect(await orderEventJobs(t, order.id)).toEqual([]);

    const maintenance = t.app.get(OrderMaintenance);
    // Within the grace period the sweeper leaves events to the relay of the request that wrote them.
    expect((await maintenance.sweep(new Date())).eventsHandedOver).toBe(0);
    const later = new Date(Date.now() + 60_000);
    const [first, second] = await Promise.all([maintenance.sweep(later), maintenance.sweep(later)]);
    expect(first.eventsHandedOver + second.eventsHandedOver).toBeGreaterThanOrEqual(2);
    expect((await maintenance.sweep(later)).eventsHandedOver).toBe(0);

    const jobs = await orderEventJobs(t, order.id);
    expect(jobs.map((job) => job.data)).toEqual([
      { orderId: order.id, eventId: expect.stringMatching(/^[0-9a-f]{24}$/), type: 'OrderPlaced' },
      { orderId: order.id, eventId: expect.stringMatching(/^[0-9a-f]{24}$/), type: 'OrderPaid' },
    ]);
    expect(await outboxOf(order.id)).toEqual([]);
  });
});
