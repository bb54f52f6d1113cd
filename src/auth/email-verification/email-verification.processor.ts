import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@app/common';
import type { Job } from 'bull';
import { AppConfig } from '../../config/app-config';
import { OnJob } from '../../jobs/on-job.decorator';
import { MailTemplates } from '../../notifications/mail-templates';
import { MailerService } from '../../notifications/mailer.service';
import type { EmailVerificationJob } from '../../notifications/mail.types';
import { UsersService } from '../../users/users.service';
import { tokenLink } from '../single-use-tokens';
import { VerificationTokens } from './verification-tokens';

export type EmailVerificationOutcome = 'sent' | 'already-sent' | 'no-account' | 'already-verified';

/** The worker side of email verification: issue a token for a still unverified account, email it once. */
@Injectable()
export class EmailVerificationProcessor {
  private readonly ttlHours: number;
  private readonly publicUrl: string;

  constructor(
    private readonly users: UsersService,
    private readonly mailer: MailerService,
    private readonly templates: MailTemplates,
    private readonly tokens: VerificationTokens,
    config: AppConfig,
  ) {
    this.ttlHours = config.get('EMAIL_VERIFICATION_TTL_HOURS');
    this.publicUrl = config.get('APP_PUBLIC_URL');
  }

  @OnJob('email-verification')
  async handle({ userId }: EmailVerificationJob, job: Pick<Job, 'id'>): Promise<EmailVerificationOutcome> {
    const user = await this.users.getById(userId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!user) return 'no-account';
    if (user.emailVerified) return 'already-verified';
    // The token is issued only once this job holds the email's claim: a retry issues nothing.
    return this.mailer.sendOnce(String(job.id), async () => {
      const token = await this.tokens.issue(user.id);
      const link = tokenLink(this.publicUrl, '/verify-email', token);
      return this.templates.render('email-verification', { link, ttlHours: this.ttlHours, token }, user.email);
    });
  }
}
