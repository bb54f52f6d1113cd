import type { PasswordResetJob, SendEmailJob } from '../notifications/mail.types';

/** Every Bull queue of the application. Named here and nowhere else. */
export const QUEUE_NAMES = ['mail', 'orders'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The order event types of the checkout's outbox (src/orders/events), as the relay hands them over. */
export type OrderEventType = 'OrderPlaced' | 'OrderPaid' | 'OrderShipped' | 'OrderDelivered' | 'OrderCancelled';

/**
 * One order event to act on. The handler loads the order by id: the order, not the job, is the
 * source of truth. The relay adds it with jobId `order-event:<orderId>:<eventId>`.
 */
export interface OrderEventJob {
  orderId: string;
  eventId: string;
  type: OrderEventType;
}

/**
 * The one map from job name to payload type. Producers call `JobQueue.queue(name, data)` and
 * handlers are methods marked `@OnJob(name)`; both are checked against this map by the compiler.
 */
export interface JobPayloads {
  /** A ready-made email, sent at most once per `dedupeKey`. */
  'send-email': SendEmailJob;
  /** Find the account, issue a reset token, email it. */
  'password-reset': PasswordResetJob;
  /** Turn one order event into its email. */
  'order-event': OrderEventJob;
}

export type JobName = keyof JobPayloads;

export interface JobDefinition {
  queue: QueueName;
  /**
   * Worker slots this job adds to its queue in one process. Bull adds up the concurrency of every
   * job on a queue and any slot may take any of them: a process runs at most the queue's sum at
   * once (the `mail` queue: 6), in any mix.
   */
  concurrency: number;
}

/** Where each job runs. The mapped type makes a job without a definition a compile error. */
export const JOBS: { readonly [N in JobName]: JobDefinition } = {
  'send-email': { queue: 'mail', concurrency: 4 },
  'password-reset': { queue: 'mail', concurrency: 2 },
  'order-event': { queue: 'orders', concurrency: 4 },
};
