import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Types } from 'mongoose';
import { JobQueue } from '../../jobs/job-queue';
import { EVENTS_WITH_EFFECTS, EVENTS_WITH_EMAIL, type OrderEventJob, orderEffectsJobId, orderEventJobId, webhookFanoutJobId } from '../events/order-events';
import { OrderStore } from '../order.store';
import { Order } from '../schemas/order.schema';

/** An order's id and outbox: all the relay needs. */
type OutboxOf = Pick<Order, '_id' | 'outbox'>;

/**
 * An effect (a refund above all) must outlast a provider outage: nothing else retries it once its
 * job gave up. With the default exponential backoff (JOB_BACKOFF_MS 2 s) 16 attempts span about
 * 18 hours; a job that still fails stays in the queue dashboard as failed.
 */
export const EFFECT_JOB_ATTEMPTS = 16;

/** How long a shutdown waits for relays still in flight (OutboxRelay.inBackground). */
const RELAY_DRAIN_MS = 3_000;

/** How many stale orders one sweep hands over; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

/**
 * Moves recorded events from an order's outbox to the `orders` queue. The event was written in
 * the same update as the transition, so it exists exactly when the transition happened; the job
 * id is deterministic, so handing an event over twice (the relay after the write and the sweeper
 * racing it) adds one job. An event leaves the outbox only after the queue has it.
 *
 * The `order-event` handler (order-emails/) turns each job into its email; events
 * with effects (stock, refunds) also become an `order-effects` job (orders/effects), and every
 * event a `webhook-fanout` job (webhooks/: one delivery per subscribed endpoint).
 */
@Injectable()
export class OutboxRelay implements OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  /** Relays started by `inBackground` and not finished yet. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly orders: OrderStore,
    private readonly jobs: JobQueue,
  ) {}

  /**
   * Called right after a write that recorded an event, with the order as that write left it. A
   * failure here (Redis down, the process dying) loses nothing: the event stays in the outbox and
   * the sweeper hands it over.
   */
  async afterWrite(order: OutboxOf): Promise<void> {
    try {
      await this.handOver(order);
    } catch (error) {
      this.logger.warn(`Outbox of order ${order._id.toHexString()} left for the sweeper: ${(error as Error).message}`);
    }
  }

  /**
   * `afterWrite` without the caller waiting for it (checkout answers before its OrderPlaced event
   * reaches the queue). A crash before it finishes loses nothing (the sweeper hands the event
   * over); a shutdown waits for it, before the queues close.
   */
  inBackground(order: OutboxOf): void {
    const relayed = this.afterWrite(order).finally(() => this.inFlight.delete(relayed));
    this.inFlight.add(relayed);
  }

  /**
   * A shutdown lets relays in flight finish before the queues close, for at most
   * RELAY_DRAIN_MS: in a Redis outage a queue add waits for Redis, and what it still holds
   * stays in the outbox for the sweeper.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, RELAY_DRAIN_MS)));
    await Promise.race([Promise.all(this.inFlight), givenUp]);
    clearTimeout(timer);
  }

  /** Hands over every event in the order's outbox; returns how many. */
  async relay(orderId: string | Types.ObjectId): Promise<number> {
    const id = typeof orderId === 'string' ? new Types.ObjectId(orderId) : orderId;
    return this.handOver({ _id: id, outbox: await this.orders.takeOutbox(id) });
  }

  private async handOver(order: OutboxOf): Promise<number> {
    if (order.outbox.length === 0) return 0;
    const id = order._id.toHexString();
    // One event's jobs are added at once: each is idempotent by its own deterministic id and none
    // depends on another, so any that failed is added again with the rest by the sweeper. Events
    // stay in the order they were recorded in (an earlier event's jobs are queued first).
    for (const entry of order.outbox) {
      const job: OrderEventJob = { orderId: id, eventId: entry.eventId, type: entry.type };
      await Promise.all([
        EVENTS_WITH_EFFECTS.includes(entry.type) && this.jobs.queue('order-effects', job, { jobId: orderEffectsJobId(id, entry.eventId), attempts: EFFECT_JOB_ATTEMPTS }),
        EVENTS_WITH_EMAIL.includes(entry.type) && this.jobs.queue('order-event', job, { jobId: orderEventJobId(id, entry.eventId) }),
        this.jobs.queue('webhook-fanout', { ...job, sequence: entry.sequence ?? 0, at: entry.at.toISOString() }, { jobId: webhookFanoutJobId(id, entry.eventId) }),
      ]);
    }
    await this.orders.markRelayed(order._id, order.outbox.map((entry) => entry.eventId));
    return order.outbox.length;
  }

  /** Hands over events recorded before `cutoff` that no relay took (a crash, an outage). */
  async sweep(cutoff: Date): Promise<number> {
    let handed = 0;
    for (const orderId of await this.orders.withStaleOutbox(cutoff, SWEEP_BATCH)) handed += await this.relay(orderId);
    if (handed > 0) this.logger.log(`Sweeper handed over ${handed} event(s) the relay had missed`);
    return handed;
  }
}
