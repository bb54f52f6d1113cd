import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { OnJob } from '../../jobs/on-job.decorator';
import { MailTemplates } from '../../notifications/mail-templates';
import { MailerService } from '../../notifications/mailer.service';
import type { PasswordResetJob } from '../../notifications/mail.types';
import { withinHourlyAllowance } from '../../redis/hourly-limits';
import { REDIS } from '../../redis/redis.module';
import { UsersService } from '../../users/users.service';
import { tokenLink } from '../single-use-tokens';
import { ResetTokens } from './reset-tokens';

/** Reset emails per account per hour; more requests are dropped silently (no mail bombing). */
export const MAX_RESET_EMAILS_PER_HOUR = 3;

export type PasswordResetOutcome = 'sent' | 'already-sent' | 'no-account' | 'rate-limited';

/** The worker side of password reset: find the account, issue a token, email it once. */
@Injectable()
export class PasswordResetProcessor {
  private readonly logger = new Logger(PasswordResetProcessor.name);
  private readonly ttlMinutes: number;
  private readonly publicUrl: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly users: UsersService,
    private readonly mailer: MailerService,
    private readonly templates: MailTemplates,
    private readonly tokens: ResetTokens,
    config: AppConfig,
  ) {
    this.ttlMinutes = config.get('PASSWORD_RESET_TTL_MINUTES');
    this.publicUrl = config.get('APP_PUBLIC_URL');
  }

  @OnJob('password-reset')
  async handle({ email }: PasswordResetJob, job: Pick<Job, 'id'>): Promise<PasswordResetOutcome> {
    const jobId = String(job.id);
    const user = await this.users.findByEmail(email);
    if (!user) return 'no-account';
    if (!(await this.withinHourlyLimit(user.id, jobId))) {
      this.logger.warn(`Password reset emails for user ${user.id} over the hourly limit; request dropped`);
      return 'rate-limited';
    }
    // The token is issued only once this job holds the email's claim: a retry of an email that
    // already went out issues nothing.
    return this.mailer.sendOnce(jobId, async () => {
      const token = await this.tokens.issue(user.id, user.sessionGeneration ?? 0);
      const link = tokenLink(this.publicUrl, '/reset-password', token);
      return this.templates.render('password-reset', { link, ttlMinutes: this.ttlMinutes, token }, user.email);
    });
  }

  /** Whether this job is among the account's first MAX_RESET_EMAILS_PER_HOUR this hour (retries count once). */
  private withinHourlyLimit(userId: string, jobId: string): Promise<boolean> {
    return withinHourlyAllowance(this.redis, `password-reset-emails:${userId}`, jobId, MAX_RESET_EMAILS_PER_HOUR);
  }
}
