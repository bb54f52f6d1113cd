import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { OnJob } from '../jobs/on-job.decorator';
import { WebhookDelivery } from './schemas/webhook-delivery.schema';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The `webhook-log-prune` job, every hour (job registry): deletes the deliveries made more than
 * WEBHOOK_LOG_DAYS before `now`, attempts and all, whatever their status: one still pending
 * that long (a paused endpoint, or a retry schedule stretched past the log's life) is stale news,
 * and its late attempt finds it gone and stops.
 * Idempotent, so two workers running it at once delete nothing twice.
 */
@Injectable()
export class WebhookLogPruning {
  private readonly logger = new Logger(WebhookLogPruning.name);

  constructor(
    @InjectModel(WebhookDelivery.name) private readonly deliveries: Model<WebhookDelivery>,
    private readonly config: AppConfig,
  ) {}

  @OnJob('webhook-log-prune')
  async run(): Promise<number> {
    return this.prune(new Date());
  }

  /** Deletes the deliveries older than WEBHOOK_LOG_DAYS at `now`; returns how many. */
  async prune(now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.get('WEBHOOK_LOG_DAYS') * DAY_MS);
    const { deletedCount } = await this.deliveries.deleteMany({ createdAt: { $lt: cutoff } });
    if (deletedCount > 0) this.logger.log(`Deleted ${deletedCount} webhook deliveries older than ${cutoff.toISOString()}`);
    return deletedCount;
  }
}
