import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError, LimitReachedError } from '@app/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { JobQueue } from '../../jobs/job-queue';
import { takeHourlyUse } from '../../redis/hourly-limits';
import { REDIS } from '../../redis/redis.module';
import { UsersService } from '../../users/users.service';
import { VerificationTokens } from './verification-tokens';

/** Resends one account may ask for per hour (API.md); the email at registration is not one. */
export const MAX_VERIFICATION_RESENDS_PER_HOUR = 5;

/** The API side of email verification: ask for the email (at registration, or again), redeem its token. */
@Injectable()
export class EmailVerificationService {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly tokens: VerificationTokens,
    private readonly users: UsersService,
    private readonly jobs: JobQueue,
  ) {}

  /** Queues the verification email; the worker issues the token (none sits in a job in plain text). */
  async send(userId: string): Promise<void> {
    // A random id: it keys the email's once-only record, and Bull's counter restarts with Redis.
    await this.jobs.queue('email-verification', { userId }, { jobId: `email-verification:${randomUUID()}` });
  }

  /** Another email, at most MAX_VERIFICATION_RESENDS_PER_HOUR an hour (then 429 with Retry-After). */
  async resend(userId: string): Promise<void> {
    const retryAfter = await takeHourlyUse(this.redis, `email-verification-resends:${userId}`, MAX_VERIFICATION_RESENDS_PER_HOUR);
    if (retryAfter > 0) {
      throw new LimitReachedError(`At most ${MAX_VERIFICATION_RESENDS_PER_HOUR} verification emails an hour; try again later`, retryAfter);
    }
    await this.send(userId);
  }

  async verify(token: string): Promise<void> {
    const holder = await this.tokens.redeem(token);
    if (!holder || !(await this.users.markEmailVerified(holder.userId))) {
      throw new InvalidInputError('This verification link is invalid, expired or already used');
    }
  }
}
