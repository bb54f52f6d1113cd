import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { REDIS } from '../../redis/redis.module';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../../access/sessions.service';

/**
 * Reset tokens in Redis: only their hash, mapped to the user, expiring; plus the set of a user's
 * outstanding hashes, so that a completed reset voids every other token of that user.
 */
@Injectable()
export class ResetTokens {
  private readonly ttlSeconds: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.ttlSeconds = config.get('PASSWORD_RESET_TTL_MINUTES') * 60;
  }

  async issue(userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    await this.redis
      .multi()
      .set(tokenKey(hash), userId, 'EX', this.ttlSeconds)
      .sadd(userTokensKey(userId), hash)
      .expire(userTokensKey(userId), this.ttlSeconds)
      .exec();
    return token;
  }

  /** The user the token was for; the token and all other tokens of that user stop working. */
  async redeem(token: string): Promise<string | null> {
    // GETDEL makes the token single-use even when two resets race.
    const userId = await this.redis.getdel(tokenKey(sha256(token)));
    if (!userId) return null;
    const others = await this.redis.smembers(userTokensKey(userId));
    await this.redis.del(userTokensKey(userId), ...others.map(tokenKey));
    return userId;
  }
}

function tokenKey(hash: string): string {
  return `password-reset:${hash}`;
}

function userTokensKey(userId: string): string {
  return `password-reset-user:${userId}`;
}
