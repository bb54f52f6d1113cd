import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { BadRequestError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { MailQueue } from '../notifications/mail.queue';
import { REDIS } from '../redis/redis.module';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';
import { sha256 } from './sessions/sessions.service';

/**
 * Reset tokens are random, single-use and short-lived; Redis keeps only their hash, mapped to
 * the user. Asking for a reset never reveals whether an account exists.
 */
@Injectable()
export class PasswordResetService {
  private readonly logger = new Logger(PasswordResetService.name);
  private readonly ttlMinutes: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly mail: MailQueue,
    private readonly config: AppConfig,
  ) {
    this.ttlMinutes = config.get('PASSWORD_RESET_TTL_MINUTES');
  }

  async requestReset(email: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const token = randomBytes(32).toString('base64url');
    const tokenHash = sha256(token);
    await this.redis.set(resetKey(tokenHash), user.id, 'EX', this.ttlMinutes * 60);
    const link = new URL('/reset-password', this.config.get('APP_PUBLIC_URL'));
    link.searchParams.set('token', token);
    await this.mail.enqueue(
      {
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
      },
      `password-reset:${tokenHash}`,
    );
    this.logger.log(`Password reset requested for user ${user.id}`);
  }

  async reset(token: string, newPassword: string): Promise<void> {
    // GETDEL makes the token single-use even when two resets race.
    const userId = await this.redis.getdel(resetKey(sha256(token)));
    if (!userId) throw new BadRequestError('This reset link is invalid or has expired');
    await this.users.changePasswordHash(userId, await this.hasher.hash(newPassword));
  }
}

function resetKey(tokenHash: string): string {
  return `password-reset:${tokenHash}`;
}
