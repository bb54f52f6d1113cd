import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '@app/common';
import { randomUUID } from 'node:crypto';
import { JobQueue } from '../../jobs/job-queue';
import { UsersService } from '../../users/users.service';
import { PasswordHasher } from '../password-hasher';
import { ResetTokens } from './reset-tokens';

/** The API side of password reset: ask for an email, then redeem its token. */
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly tokens: ResetTokens,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly jobs: JobQueue,
  ) {}

  /** Same work and same answer whether or not the account exists: the worker finds out. */
  async requestReset(email: string): Promise<void> {
    // A random id, not Bull's counter: the id keys the email's once-only record in MongoDB, and
    // the counter restarts when Redis loses its data.
    await this.jobs.queue('password-reset', { email }, { jobId: `password-reset:${randomUUID()}` });
  }

  async reset(token: string, newPassword: string): Promise<void> {
    // Hashed before the single-use token is redeemed: a hasher too busy to take the request
    // (503) must leave the token usable for the retry.
    const passwordHash = await this.hasher.hash(newPassword);
    const holder = await this.tokens.redeem(token);
    // Issued in an earlier session generation: a later password (this link's own use, when Redis
    // lost its redemption) or role change spent it.
    if (!holder || !(await this.users.changePasswordHash(holder.userId, passwordHash, holder.generation))) {
      throw new InvalidInputError('This reset link is invalid or has expired');
    }
  }
}
