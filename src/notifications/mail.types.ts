/** The one queue that carries outgoing email, and its one job. Named here and nowhere else. */
export const MAIL_QUEUE = 'mail';
export const SEND_EMAIL_JOB = 'send-email';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface SendEmailJob {
  message: EmailMessage;
  /** One email per key, however often the job is retried or re-enqueued. */
  dedupeKey: string;
}
