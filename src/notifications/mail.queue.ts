import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { EmailMessage, MAIL_QUEUE, SEND_EMAIL_JOB, SendEmailJob } from './mail.types';

/** Producer side: requests only enqueue; the worker sends. */
@Injectable()
export class MailQueue {
  constructor(@InjectQueue(MAIL_QUEUE) private readonly queue: Queue<SendEmailJob>) {}

  async enqueue(message: EmailMessage, dedupeKey: string): Promise<void> {
    await this.queue.add(
      SEND_EMAIL_JOB,
      { message, dedupeKey },
      {
        // Same key → same job id: Bull ignores a second add while the first job is kept.
        jobId: dedupeKey,
        attempts: 6,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: 1000,
        // Failed jobs stay in Redis for inspection and manual retry.
        removeOnFail: false,
      },
    );
  }
}
