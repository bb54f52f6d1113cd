import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import { Model, Types } from 'mongoose';
import { JOBS } from '../../jobs/job.registry';
import { OrderEventJob, orderEventJobId } from '../events/order-events';
import { Order } from '../schemas/order.schema';

/** How many stale orders one sweep hands over; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

/**
 * Moves recorded events from an order's outbox to the `orders` queue. The event was written in
 * the same update as the transition, so it exists exactly when the transition happened; the job
 * id is deterministic, so handing an event over twice (the relay after the write and the sweeper
 * racing it) adds one job. An event leaves the outbox only after the queue has it.
 *
 * Jobs are added on the queue itself rather than through JobQueue.queue(): that refuses jobs no
 * loaded module handles, and the `order-event` handler (the emails) belongs to the
 * notifications issue. Until it lands, events wait in the queue.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);

  constructor(
    @InjectModel(Order.name) private readonly orders: Model<Order>,
    @InjectQueue(JOBS['order-event'].queue) private readonly queue: Queue<OrderEventJob>,
  ) {}

  /**
   * Called right after a write that recorded an event. A failure here (Redis down, the process
   * dying) loses nothing: the event stays in the outbox and the sweeper hands it over.
   */
  async afterWrite(orderId: string): Promise<void> {
    try {
      await this.relay(orderId);
    } catch (error) {
      this.logger.warn(`Outbox of order ${orderId} left for the sweeper: ${(error as Error).message}`);
    }
  }

  /** Hands over every event in the order's outbox; returns how many. */
  async relay(orderId: string | Types.ObjectId): Promise<number> {
    const order = await this.orders.findById(orderId, { outbox: 1 }).lean();
    if (!order || order.outbox.length === 0) return 0;
    const id = order._id.toHexString();
    for (const entry of order.outbox) {
      await this.queue.add(
        'order-event',
        { orderId: id, eventId: entry.eventId, type: entry.type },
        { jobId: orderEventJobId(id, entry.eventId) },
      );
    }
    await this.orders.updateOne({ _id: order._id }, { $pull: { outbox: { eventId: { $in: order.outbox.map((entry) => entry.eventId) } } } });
    return order.outbox.length;
  }

  /** Hands over events recorded before `cutoff` that no relay took (a crash, an outage). */
  async sweep(cutoff: Date): Promise<number> {
    const stale = await this.orders.find({ 'outbox.at': { $lt: cutoff } }, { _id: 1 }).limit(SWEEP_BATCH).lean();
    let handed = 0;
    for (const { _id } of stale) handed += await this.relay(_id);
    if (handed > 0) this.logger.log(`Sweeper handed over ${handed} event(s) the relay had missed`);
    return handed;
  }
}
