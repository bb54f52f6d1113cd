import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PROCESS_ROLE, type ProcessRole } from '../core/process-role';
import { JobQueue } from '../jobs/job-queue';
import { OnJob } from '../jobs/on-job.decorator';
import { OrderLifecycle } from './order-lifecycle.service';
import { OutboxRelay } from './outbox/outbox-relay';

/** How often the sweep runs. */
export const SWEEP_EVERY_MS = 30_000;
/**
 * Work younger than this is left alone: the request that did the write is most likely still
 * relaying its events or finishing its effects.
 */
export const SWEEP_GRACE_MS = 30_000;

export interface SweepReport {
  eventsHandedOver: number;
  ordersExpired: number;
}

/**
 * The repeatable `orders-maintenance` job: hands over outbox events a crash left behind, cancels
 * orders unpaid past ORDER_PAYMENT_TTL_MINUTES (their stock released once, by the transition),
 * and finishes stock and refund effects a crash interrupted. Every step is idempotent, so two
 * workers running it at once, or a run repeated after a failure, change nothing twice.
 */
@Injectable()
export class OrderMaintenance implements OnApplicationBootstrap {
  private readonly logger = new Logger(OrderMaintenance.name);

  constructor(
    private readonly relay: OutboxRelay,
    private readonly lifecycle: OrderLifecycle,
    private readonly jobs: JobQueue,
    @Inject(PROCESS_ROLE) private readonly role: ProcessRole,
  ) {}

  /** Schedules the repeatable job; the same schedule from every process is one schedule in Bull. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.role === 'cli') return;
    try {
      await this.jobs.queue('orders-maintenance', {}, { repeat: { every: SWEEP_EVERY_MS }, jobId: 'orders-maintenance' });
    } catch (error) {
      // Redis down at start-up: the next process start schedules it; nothing is lost meanwhile.
      this.logger.warn(`Could not schedule orders-maintenance: ${(error as Error).message}`);
    }
  }

  @OnJob('orders-maintenance')
  async run(): Promise<SweepReport> {
    return this.sweep(new Date());
  }

  async sweep(now: Date): Promise<SweepReport> {
    const cutoff = new Date(now.getTime() - SWEEP_GRACE_MS);
    const eventsHandedOver = await this.relay.sweep(cutoff);
    const ordersExpired = await this.lifecycle.expireOverdue(now);
    await this.lifecycle.finishInterrupted(cutoff);
    if (ordersExpired > 0) this.logger.log(`Cancelled ${ordersExpired} order(s) left unpaid past their deadline`);
    return { eventsHandedOver, ordersExpired };
  }
}
