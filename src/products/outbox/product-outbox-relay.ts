import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Types } from 'mongoose';
import { JobQueue } from '../../jobs/job-queue';
import { OnJob } from '../../jobs/on-job.decorator';
import { ProductStore } from '../products.store';
import { type ProductWebhookJob, productFanoutJobId } from './product-webhook-job';

/** Events younger than this are left to the relay of the write that recorded them (as for orders). */
const SWEEP_GRACE_MS = 30_000;

/** How many products one sweep hands over; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

/**
 * Moves recorded product events from a product's outbox to the `webhook-fanout` job, as the
 * order outbox relay does for orders: right after the write that recorded them (ProductStore
 * calls it), and every 30 s for what a crash or an outage left (`products-maintenance`). An
 * event leaves the outbox only after the queue has it.
 */
@Injectable()
export class ProductOutboxRelay implements OnModuleInit {
  private readonly logger = new Logger(ProductOutboxRelay.name);

  constructor(
    private readonly products: ProductStore,
    private readonly jobs: JobQueue,
  ) {}

  onModuleInit(): void {
    this.products.onEventsRecorded((productId) => this.afterWrite(productId));
  }

  /** A failure here loses nothing: the event stays in the outbox and the sweeper hands it over. */
  async afterWrite(productId: Types.ObjectId): Promise<void> {
    try {
      await this.relay(productId);
    } catch (error) {
      this.logger.warn(`Outbox of product ${productId.toHexString()} left for the sweeper: ${(error as Error).message}`);
    }
  }

  /** Hands over every event in the product's outbox; returns how many. */
  async relay(productId: Types.ObjectId): Promise<number> {
    const pending = await this.products.pendingEvents(productId);
    if (pending.length === 0) return 0;
    const id = productId.toHexString();
    for (const entry of pending) {
      const job: ProductWebhookJob = {
        productId: id,
        eventId: entry.eventId,
        type: entry.type,
        sequence: entry.sequence,
        at: new Date(entry.at).toISOString(),
        ...(entry.variantId && { variantId: entry.variantId.toHexString(), stock: entry.stock }),
      };
      await this.jobs.queue('webhook-fanout', job, { jobId: productFanoutJobId(id, entry.eventId) });
    }
    await this.products.markEventsRelayed(productId, pending.map((entry) => entry.eventId));
    return pending.length;
  }

  /** `products-maintenance`, every 30 s (its schedule is in the job registry). */
  @OnJob('products-maintenance')
  async run(): Promise<number> {
    return this.sweep(new Date());
  }

  /** Hands over events recorded before the grace period (before `now`) that no relay took. */
  async sweep(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - SWEEP_GRACE_MS);
    let handed = 0;
    for (const productId of await this.products.withStaleOutbox(cutoff, SWEEP_BATCH)) handed += await this.relay(productId);
    if (handed > 0) this.logger.log(`Sweeper handed over ${handed} product event(s) the relay had missed`);
    return handed;
  }
}
