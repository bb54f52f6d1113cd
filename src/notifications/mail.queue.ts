import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { EmailMessage, MAIL_QUEUE, PASSWORD_RESET_JOB, PasswordResetJob, SEND_EMAIL_JOB, SendEmailJob } from './mail.types';

const RETRIES: JobOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: 1000,
  // Failed jobs stay in Redis for inspection and manual retry.
  removeOnFail: false,
};

/** Producer side: requests only enqueue; the worker sends. */
@Injectable()
export class MailQueue {
  constructor(@InjectQueue(MAIL_QUEUE) private readonly queue: Queue<SendEmailJob | PasswordResetJob>) {}

  async enqueue(message: EmailMessage, dedupeKey: string): Promise<void> {
    // Same key → same job id: Bull ignores a second add while the first job is kept.
    await this.queue.add(SEND_EMAIL_JOB, { message, dedupeKey }, { ...RETRIES, jobId: dedupeKey });
  }

  async enqueuePasswordReset(email: string): Promise<void> {
    await this.queue.add(PASSWORD_RESET_JOB, { email }, { ...RETRIES, jobId: `password-reset:${randomUUID()}` });
  }
}
