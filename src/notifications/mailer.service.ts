import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { EmailMessage } from './mail.types';

const SENT_MARK_TTL_SECONDS = 30 * 24 * 3600;

/** Sends email over SMTP (MailDev locally, any relay in production). */
@Injectable()
export class MailerService implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly from: string;

  constructor(
    config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    const user = config.get('SMTP_USER');
    this.transport = createTransport({
      host: config.get('SMTP_HOST'),
      port: config.get('SMTP_PORT'),
      secure: config.get('SMTP_SECURE'),
      auth: user ? { user, pass: config.get('SMTP_PASSWORD') ?? '' } : undefined,
      connectionTimeout: 10_000,
    });
    this.from = config.get('MAIL_FROM');
  }

  /**
   * Sends at most one email per key, so a retried or re-delivered job does not send twice. The
   * key is marked after a successful send: a crash in between can repeat one email, but a
   * failed send is never recorded as delivered.
   */
  async sendOnce(dedupeKey: string, message: EmailMessage): Promise<'sent' | 'already-sent'> {
    const mark = `mail-sent:${dedupeKey}`;
    if (await this.redis.exists(mark)) return 'already-sent';
    await this.transport.sendMail({ from: this.from, ...message });
    await this.redis.set(mark, new Date().toISOString(), 'EX', SENT_MARK_TTL_SECONDS);
    return 'sent';
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
