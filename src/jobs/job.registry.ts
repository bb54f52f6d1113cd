import type { JobOptions } from 'bull';
import type { EnvironmentVariables } from '../config/env.schema';
import type { EmailVerificationJob, PasswordResetJob } from '../notifications/mail.types';
import type { OrderEventJob, OrderWebhookJob } from '../orders/events/order-events';
import type { ProductWebhookJob } from '../products/outbox/product-webhook-job';

/** Every Bull queue of the application. Named here and nowhere else. */
export const QUEUE_NAMES = ['mail', 'orders', 'backups', 'webhooks'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Declared with the event classes (src/orders/events), the one place they are named. */
export type { OrderEventJob, OrderEventType } from '../orders/events/order-events';

/**
 * The one map from job name to payload type. Producers call `JobQueue.queue(name, data)` and
 * handlers are methods marked `@OnJob(name)`; both are checked against this map by the compiler.
 */
export interface JobPayloads {
  /** Find the account, issue a reset token, email it. */
  'password-reset': PasswordResetJob;
  /** Issue an email-verification token for a still unverified account, email it. */
  'email-verification': EmailVerificationJob;
  /** Turn one order event into its email. */
  'order-event': OrderEventJob;
  /** Do what one order event entails: stock released or shipped, refund, the provider's payment cancelled. */
  'order-effects': OrderEventJob;
  /**
   * Every 30 s (OrderMaintenance): hand over outbox events a crash left behind, cancel unpaid
   * orders past their deadline, give back the stock of checkouts that died. No payload.
   */
  'orders-maintenance': Record<string, never>;
  /** Every 30 s (ProductOutboxRelay): hand over product events a crash left in an outbox. No payload. */
  'products-maintenance': Record<string, never>;
  /** Every STOCK_MOVEMENTS_SWEEP_MS (StockMovementRelay): move buffered stock movements to `stock_movements`. No payload. */
  'stock-movements-sweep': Record<string, never>;
  /** One order or product event → one delivery per active endpoint subscribed to it (webhooks/). */
  'webhook-fanout': OrderWebhookJob | ProductWebhookJob;
  /** One attempt to send a delivery; retried with backoff up to WEBHOOK_MAX_ATTEMPTS. */
  'webhook-delivery': { deliveryId: string };
  /** Every hour (WebhookLogPruning): deletes deliveries older than WEBHOOK_LOG_DAYS. No payload. */
  'webhook-log-prune': Record<string, never>;
  /** The database backup at each BACKUP_CRON occurrence (BackupSchedule, worker only). No payload. */
  'scheduled-backup': Record<string, never>;
}

export type JobName = keyof JobPayloads;

export interface JobDefinition {
  queue: QueueName;
  /**
   * Worker slots this job adds to its queue in one process. Bull adds up the concurrency of every
   * job on a queue and any slot may take any of them: a process runs at most the queue's sum at
   * once (the `orders` queue: 7), in any mix.
   */
  concurrency: number;
  /** Started by the JobScheduler (src/jobs/job-scheduler.ts) where the job is handled; no producer. */
  schedule?: JobSchedule;
  /** Retry and retention of this job's runs, where they differ from the queue's defaults. */
  options?: Pick<JobOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'>;
}

/**
 * When a scheduled job runs. Either way each occurrence is one job with a deterministic id, so
 * however many workers schedule it, it runs once per occurrence, on whichever worker is free.
 */
export type JobSchedule =
  /** A fixed interval in milliseconds. */
  | { everyMs: number }
  /** An interval in milliseconds read from a setting. */
  | { everyMsSetting: IntervalSetting }
  /** A cron expression (5 fields, or 6 with seconds) read from a setting; `off` schedules nothing. */
  | { cronSetting: CronSetting };

/** Settings that hold a job's interval in milliseconds. */
export type IntervalSetting = { [K in keyof EnvironmentVariables]-?: K extends `${string}_SWEEP_MS` ? K : never }[keyof EnvironmentVariables];

/** Settings that hold a job's cron expression. */
export type CronSetting = { [K in keyof EnvironmentVariables]-?: K extends `${string}_CRON` ? K : never }[keyof EnvironmentVariables];

/** Where each job runs. The mapped type makes a job without a definition a compile error. */
export const JOBS: { readonly [N in JobName]: JobDefinition } = {
  'password-reset': { queue: 'mail', concurrency: 2 },
  'email-verification': { queue: 'mail', concurrency: 2 },
  'order-event': { queue: 'orders', concurrency: 4 },
  'order-effects': { queue: 'orders', concurrency: 2 },
  'orders-maintenance': { queue: 'orders', concurrency: 1, schedule: { everyMs: 30_000 } },
  // Their own queue: a slow receiver (up to 10 s per attempt) never holds a slot order effects need.
  'products-maintenance': { queue: 'webhooks', concurrency: 1, schedule: { everyMs: 30_000 } },
  // Beside the stock effects (release, ship): its own slot, quick runs (one batch is three round trips).
  'stock-movements-sweep': { queue: 'orders', concurrency: 1, schedule: { everyMsSetting: 'STOCK_MOVEMENTS_SWEEP_MS' } },
  'webhook-fanout': { queue: 'webhooks', concurrency: 2 },
  'webhook-delivery': { queue: 'webhooks', concurrency: 8 },
  'webhook-log-prune': { queue: 'webhooks', concurrency: 1, schedule: { everyMs: 3_600_000 } },
  'scheduled-backup': {
    queue: 'backups',
    concurrency: 1,
    schedule: { cronSetting: 'BACKUP_CRON' },
    // An interrupted backup leaves no manifest, so taking it again is safe; failed runs stay
    // listed (queue dashboard), the newest 100 of each.
    options: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: 100, removeOnFail: 100 },
  },
};
