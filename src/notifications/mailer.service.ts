import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTransport, Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { MailLedger } from './mail-ledger';
import { EmailMessage } from './mail.types';

/** Connections kept open to the SMTP server; matches the most email jobs one worker runs at once. */
const SMTP_CONNECTIONS = 4;
/** How often a job whose key another worker is sending looks again. */
const IN_PROGRESS_POLL_MS = 250;

/** Sends email over SMTP (MailDev locally, any relay in production), at most once per key. */
@Injectable()
export class MailerService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailerService.name);
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly messageIdDomain: string;
  private readonly staleAfterMs: number;

  constructor(
    config: AppConfig,
    private readonly ledger: MailLedger,
  ) {
    const user = config.get('SMTP_USER');
    this.transport = createTransport({
      host: config.get('SMTP_HOST'),
      port: config.get('SMTP_PORT'),
      secure: config.get('SMTP_SECURE'),
      auth: user ? { user, pass: config.get('SMTP_PASSWORD') ?? '' } : undefined,
      pool: true,
      maxConnections: SMTP_CONNECTIONS,
      // Bounded, so that a send always ends well before its ledger claim counts as stale.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    this.from = config.get('MAIL_FROM');
    this.messageIdDomain = /@([\w.-]+)/.exec(this.from)?.[1] ?? 'localhost';
    this.staleAfterMs = config.get('MAIL_CLAIM_STALE_SECONDS') * 1000;
  }

  /**
   * Sends at most one email per key, however often the job is retried or re-delivered and however
   * many workers hold it: claim the key in the ledger, compose (only once the key is ours, so a
   * skipped email costs nothing, e.g. no reset token is issued), send, mark sent. A failed send
   * gives the claim back and throws, so the job retries. The one duplicate left: the process dies
   * (or MongoDB fails) after the SMTP server accepted the message and before `sent` is written.
   */
  async sendOnce(key: string, compose: () => EmailMessage | Promise<EmailMessage>): Promise<'sent' | 'already-sent'> {
    const claimId = await this.claim(key);
    if (!claimId) return 'already-sent';
    try {
      const message = await compose();
      // The same Message-ID on a duplicate lets mail clients that dedupe by it hide the copy.
      await this.transport.sendMail({ from: this.from, messageId: `<${sha256(key).slice(0, 40)}@${this.messageIdDomain}>`, ...message });
    } catch (error) {
      await this.ledger.release(key, claimId).catch(() => undefined);
      throw error;
    }
    await this.markSent(key, claimId);
    return 'sent';
  }

  /** The email of `key` is held back by a limit: recorded as skipped in the ledger, never sent. */
  async skip(key: string, reason: string): Promise<'skipped'> {
    await this.ledger.recordSkipped(key, reason);
    return 'skipped';
  }

  /** The claim id, or null when the email was already sent (possibly while this job waited). */
  private async claim(key: string): Promise<string | null> {
    for (;;) {
      const claim = await this.ledger.claim(key, this.staleAfterMs);
      if (claim.outcome === 'claimed') return claim.claimId;
      if (claim.outcome === 'already-sent') return null;
      // Another worker is sending it (a duplicate job, or a stalled job handed over): wait for it
      // to finish or for its claim to go stale, instead of burning this job's attempts.
      await sleep(Math.min(IN_PROGRESS_POLL_MS, Math.max(claim.staleAt.getTime() - Date.now(), 0) + 10));
    }
  }

  /** The message is out: a failed write here would make a retry send it again, so insist a little. */
  private async markSent(key: string, claimId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await this.ledger.markSent(key, claimId))) {
          this.logger.warn(`Email ${key} was sent after its claim was taken over; it may have gone out twice`);
        }
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(500 * attempt);
      }
    }
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
