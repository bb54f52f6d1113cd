import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { OnJob } from '../../jobs/on-job.decorator';
import { MailTemplates } from '../../notifications/mail-templates';
import { MailerService } from '../../notifications/mailer.service';
import type { PasswordResetJob } from '../../notifications/mail.types';
import { REDIS } from '../../redis/redis.module';
import { UsersService } from '../../users/users.service';
import { ResetTokens } from './reset-tokens';

/** Reset emails per account per hour; more requests are dropped silently (no mail bombing). */
export const MAX_RESET_EMAILS_PER_HOUR = 3;

/** The job's 0-based position among the account's reset jobs this hour (the key lives an hour from its first job). */
const HOURLY_POSITION_SCRIPT = `
local position = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not position then
  position = redis.call('ZCARD', KEYS[1])
  redis.call('ZADD', KEYS[1], position, ARGV[1])
  redis.call('EXPIRE', KEYS[1], 3600, 'NX')
end
return tonumber(position)
`;

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
      const token = await this.tokens.issue(user.id);
      const link = new URL('/reset-password', this.publicUrl);
      // In the fragment, which browsers never send to a server: the token stays out of the
      // front end's access logs and Referer headers.
      link.hash = new URLSearchParams({ token }).toString();
      return this.templates.render('password-reset', { link: link.toString(), ttlMinutes: this.ttlMinutes, token }, user.email);
    });
  }

  /**
   * Whether this job is among the first few of the account this hour. Counted per job (a set of
   * job ids), so the retries of one job never use up the account's allowance. Each job id gets
   * the next position when first seen, in one script (atomic): ranking by time with the job id
   * as tie-break would let job "10" overtake job "9" when both arrive in the same millisecond.
   */
  private async withinHourlyLimit(userId: string, jobId: string): Promise<boolean> {
    const position = (await this.redis.eval(HOURLY_POSITION_SCRIPT, 1, `password-reset-emails:${userId}`, jobId)) as number;
    return position < MAX_RESET_EMAILS_PER_HOUR;
  }
}
