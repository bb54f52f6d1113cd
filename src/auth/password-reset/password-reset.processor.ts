import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { OnJob } from '../../jobs/on-job.decorator';
import { MailerService } from '../../notifications/mailer.service';
import type { PasswordResetJob } from '../../notifications/mail.types';
import { REDIS } from '../../redis/redis.module';
import { UsersService } from '../../users/users.service';
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
    if (!(await this.withinHourlyLimit(user.id))) {
      this.logger.warn(`Password reset emails for user ${user.id} over the hourly limit; request dropped`);
      return 'rate-limited';
    }
    const token = await this.tokens.issue(user.id);
    const link = new URL('/reset-password', this.publicUrl);
    link.searchParams.set('token', token);
    return this.mailer.sendOnce(jobId, {
      to: user.email,
      subject: 'Reset your password',
      text: [
        `Hello ${user.name},`,
        '',
        `Someone asked to reset the password of your account. To choose a new one, open this link within ${this.ttlMinutes} minutes:`,
        link.toString(),
        '',
        `Or use this reset code: ${token}`,
        '',
        'If you did not ask for this, ignore this email: your password stays as it is.',
      ].join('\n'),
    });
  }

  private async withinHourlyLimit(userId: string): Promise<boolean> {
    const key = `password-reset-emails:${userId}`;
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, 3600, 'NX').exec()) as [[null, number], unknown];
    return count <= MAX_RESET_EMAILS_PER_HOUR;
  }
}
