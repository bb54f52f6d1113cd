import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { BadRequestError } from '@app/common';
import { AppConfig } from '../../config/app-config';
import { MailQueue } from '../../notifications/mail.queue';
import { REDIS } from '../../redis/redis.module';
import { UsersService } from '../../users/users.service';
import { PasswordHasher } from '../password-hasher';
import { ResetTokens } from './reset-tokens';

/** The API side of password reset: ask for an email, then redeem its token. */
@Injectable()
export class PasswordResetService {
  private readonly tokens: ResetTokens;

  constructor(
    @Inject(REDIS) redis: Redis,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly mail: MailQueue,
    config: AppConfig,
  ) {
    this.tokens = new ResetTokens(redis, config.get('PASSWORD_RESET_TTL_MINUTES') * 60);
  }

  /** Same work and same answer whether or not the account exists: the worker finds out. */
  async requestReset(email: string): Promise<void> {
    await this.mail.enqueuePasswordReset(email);
  }

  async reset(token: string, newPassword: string): Promise<void> {
    const userId = await this.tokens.redeem(token);
    if (!userId) throw new BadRequestError('This reset link is invalid or has expired');
    await this.users.changePasswordHash(userId, await this.hasher.hash(newPassword));
  }
}
