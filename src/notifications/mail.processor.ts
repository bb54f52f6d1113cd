import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { PROCESS_ROLE, type ProcessRole } from '../core/process-role';
import { REDIS } from '../redis/redis.module';
import { MailerService } from './mailer.service';
import { MAIL_QUEUE, SEND_EMAIL_JOB, SendEmailJob } from './mail.types';

const SENT_MARK_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Consumer side of the mail queue. It runs in the worker process, and in the API process only
 * when RUN_WORKER_IN_API is set, so it is attached by hand instead of with `@Processor`.
 */
@Injectable()
export class MailProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(MailProcessor.name);

  constructor(
    @InjectQueue(MAIL_QUEUE) private readonly queue: Queue<SendEmailJob>,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(PROCESS_ROLE) private readonly role: ProcessRole,
    private readonly mailer: MailerService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.queue.on('error', (error) => this.logger.warn(`Mail queue error: ${error.message}`));
    const runsJobs = this.role === 'worker' || (this.role === 'api' && this.config.get('RUN_WORKER_IN_API'));
    if (!runsJobs) return;
    void this.queue.process(SEND_EMAIL_JOB, 2, (job: Job<SendEmailJob>) => this.handle(job.data));
    this.queue.on('failed', (job, error) =>
      this.logger.warn(`Email job ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`),
    );
  }

  async handle({ message, dedupeKey }: SendEmailJob): Promise<'sent' | 'already-sent'> {
    const mark = `mail-sent:${dedupeKey}`;
    if (await this.redis.exists(mark)) return 'already-sent';
    await this.mailer.send(message);
    // Marked after a successful send: a crash in between can repeat one email, but a failed
    // send is never recorded as delivered.
    await this.redis.set(mark, new Date().toISOString(), 'EX', SENT_MARK_TTL_SECONDS);
    return 'sent';
  }
}
