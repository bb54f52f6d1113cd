export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Only the address: the worker looks the account up and makes the token, so the request that
 * asked reveals nothing (same work whether or not the account exists) and no token sits in Redis
 * in plain text inside a job.
 */
export interface PasswordResetJob {
  email: string;
}

/** Only the account: the worker reads whether it is still unverified and makes the token. */
export interface EmailVerificationJob {
  userId: string;
}
