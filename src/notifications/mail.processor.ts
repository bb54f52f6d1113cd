import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { MailerService } from './mailer.service';
import { MAIL_QUEUE, SEND_EMAIL_JOB, SendEmailJob } from './mail.types';
import { QueueWorkerGate } from './queue-worker-gate';

/** Consumer of ready-made emails on the mail queue. */
@Injectable()
export class MailProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(MailProcessor.name);

  constructor(
    @InjectQueue(MAIL_QUEUE) private readonly queue: Queue,
    private readonly mailer: MailerService,
    private readonly gate: QueueWorkerGate,
  ) {}

  onApplicationBootstrap(): void {
    // Without an 'error' listener a lost Redis connection would crash the process.
    this.queue.on('error', (error) => this.logger.warn(`Mail queue error: ${error.message}`));
    if (!this.gate.runsJobs) return;
    this.queue.on('failed', (job, error) =>
      this.logger.warn(`Mail job ${job.name} ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`),
    );
    void this.queue.process(SEND_EMAIL_JOB, 2, ({ data }: Job<SendEmailJob>) => this.mailer.sendOnce(data.dedupeKey, data.message));
  }
}
