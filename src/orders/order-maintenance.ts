import { Injectable, Logger } from '@nestjs/common';
import { OnJob } from '../jobs/on-job.decorator';
import { OrderLifecycle } from './order-lifecycle.service';
import { OutboxRelay } from './outbox/outbox-relay';

/**
 * Work younger than this is left alone: the request that did the write is most likely still
 * relaying its events.
 */
export const SWEEP_GRACE_MS = 30_000;

export interface SweepReport {
  eventsHandedOver: number;
  ordersExpired: number;
}

/**
 * The `orders-maintenance` job, every 30 seconds (its schedule is in the job registry): hands
 * over outbox events a crash left behind (their effects are the `order-effects` jobs', not the sweeper's), cancels orders unpaid past
 * ORDER_PAYMENT_TTL_MINUTES (a transition with its event, like any cancel), and gives back the
 * stock of checkouts that died before placing their order. Every step is idempotent, so two
 * workers running it at once, or a run repeated after a failure, change nothing twice.
 */
@Injectable()
export class OrderMaintenance {
  private readonly logger = new Logger(OrderMaintenance.name);

  constructor(
    private readonly relay: OutboxRelay,
    private readonly lifecycle: OrderLifecycle,
  ) {}

  @OnJob('orders-maintenance')
  async run(): Promise<SweepReport> {
    return this.sweep(new Date());
  }

  async sweep(now: Date): Promise<SweepReport> {
    const cutoff = new Date(now.getTime() - SWEEP_GRACE_MS);
    const eventsHandedOver = await this.relay.sweep(cutoff);
    const ordersExpired = await this.lifecycle.expireOverdue(now);
    await this.lifecycle.abandonDeadCheckouts(cutoff);
    if (ordersExpired > 0) this.logger.log(`Cancelled ${ordersExpired} order(s) left unpaid past their deadline`);
    return { eventsHandedOver, ordersExpired };
  }
}
