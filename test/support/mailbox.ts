import { waitFor } from './wait';

/** An email as MailDev's REST API returns it (only the fields the tests read). */
export interface CaughtEmail {
  id: string;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
  to: { address: string }[];
}

/** The subject of the email every registration sends (src/notifications/templates/email-verification). */
export const VERIFICATION_SUBJECT = 'Confirm your email address';

/**
 * Reads what the app really sent through SMTP, from the local stack's MailDev. Registering
 * through the API sends a verification email: `emailsTo` and `waitForEmails` leave those out,
 * so a test about other emails counts only its own; `verificationEmailsTo` reads them.
 */
export class Mailbox {
  constructor(private readonly baseUrl = `http://127.0.0.1:${process.env.MAILDEV_WEB_PORT ?? '1080'}`) {}

  async emailsTo(address: string): Promise<CaughtEmail[]> {
    return this.emailsToAny([address]);
  }

  /** Emails to any of the addresses, in one read of the mailbox (verification emails left out). */
  async emailsToAny(addresses: string[]): Promise<CaughtEmail[]> {
    return (await this.allEmailsTo(addresses)).filter((email) => email.subject !== VERIFICATION_SUBJECT);
  }

  async verificationEmailsTo(address: string): Promise<CaughtEmail[]> {
    return (await this.allEmailsTo([address])).filter((email) => email.subject === VERIFICATION_SUBJECT);
  }

  /** Waits until `count` verification emails to the address have arrived, and returns them. */
  async waitForVerificationEmails(address: string, count = 1, timeoutMs = 15_000): Promise<CaughtEmail[]> {
    let emails: CaughtEmail[] = [];
    await waitFor(async () => (emails = await this.verificationEmailsTo(address)).length >= count, `${count} verification email(s) to ${address}`, timeoutMs);
    return emails;
  }

  private async allEmailsTo(addresses: string[]): Promise<CaughtEmail[]> {
    const wanted = new Set(addresses.map((address) => address.toLowerCase()));
    const response = await fetch(`${this.baseUrl}/api/email`);
    if (!response.ok) throw new Error(`MailDev answered ${response.status}`);
    const emails = (await response.json()) as CaughtEmail[];
    return emails.filter((email) => email.to.some((to) => wanted.has(to.address.toLowerCase())));
  }

  /** Waits until `count` emails to the address have arrived, and returns them. */
  async waitForEmails(address: string, count = 1, timeoutMs = 15_000): Promise<CaughtEmail[]> {
    let emails: CaughtEmail[] = [];
    await waitFor(
      async () => (emails = await this.emailsTo(address)).length >= count,
      `${count} email(s) to ${address}`,
      timeoutMs,
    );
    return emails;
  }
}
