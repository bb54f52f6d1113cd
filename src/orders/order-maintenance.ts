import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue';
import { OnJob } from '../jobs/on-job.decorator';
import { QueueWorkerGate } from '../jobs/queue-worker-gate';
import { OrderLifecycle } from './order-lifecycle.service';
import { OutboxRelay } from './outbox/outbox-relay';

/** How often the sweep runs. */
export const SWEEP_EVERY_MS = 30_000;
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
 * The `orders-maintenance` job, every 30 seconds: hands over outbox events a crash left behind
 * (their effects are the `order-effects` jobs', not the sweeper's), cancels orders unpaid past
 * ORDER_PAYMENT_TTL_MINUTES (a transition with its event, like any cancel), and gives back the
 * stock of checkouts that died before placing their order. Every step is idempotent, so two
 * workers running it at once, or a run repeated after a failure, change nothing twice.
 */
@Injectable()
export class OrderMaintenance implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OrderMaintenance.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly relay: OutboxRelay,
    private readonly lifecycle: OrderLifecycle,
    private readonly jobs: JobQueue,
    private readonly gate: QueueWorkerGate,
  ) {}

  /**
   * Every process that runs jobs enqueues one `orders-maintenance` job per 30-second slot, with the
   * slot in the job id: several workers enqueue the same job once, and whichever worker is free
   * runs it. (Bull's own `repeat` option keeps the schedule as delayed jobs, whose timers raced a
   * quick shutdown with "Connection is closed" errors; a slot id needs no delayed jobs.)
   */
  onApplicationBootstrap(): void {
    if (!this.gate.runsJobs) return;
    this.timer = setInterval(() => void this.enqueue(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async enqueue(): Promise<void> {
    const slot = Math.floor(Date.now() / SWEEP_EVERY_MS);
    try {
      await this.jobs.queue('orders-maintenance', {}, { jobId: `orders-maintenance:${slot}` });
    } catch (error) {
      // Redis down: the next slot enqueues again; nothing is lost meanwhile.
      this.logger.warn(`Could not enqueue orders-maintenance: ${(error as Error).message}`);
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
    await this.lifecycle.abandonDeadCheckouts(cutoff);
    if (ordersExpired > 0) this.logger.log(`Cancelled ${ordersExpired} order(s) left unpaid past their deadline`);
    return { eventsHandedOver, ordersExpired };
  }
}
