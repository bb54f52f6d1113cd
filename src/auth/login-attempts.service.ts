import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { TooManyRequestsError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';

/**
 * Counts failed logins per email (tight limit: protects one account from guessing) and per
 * client IP (loose limit: many people behind one address keep working). Counters live in
 * Redis for a fixed window that starts at the first failure.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly windowSeconds: number;
  private readonly maxPerEmail: number;
  private readonly maxPerIp: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.windowSeconds = config.get('LOGIN_FAILURE_WINDOW_MINUTES') * 60;
    this.maxPerEmail = config.get('LOGIN_MAX_FAILURES_PER_EMAIL');
    this.maxPerIp = config.get('LOGIN_MAX_FAILURES_PER_IP');
  }

  async assertAllowed(email: string, ip: string): Promise<void> {
    const [emailFailures, ipFailures] = await this.redis.mget(emailKey(email), ipKey(ip));
    if (Number(emailFailures ?? 0) >= this.maxPerEmail) {
      throw new TooManyRequestsError('Too many failed logins for this account; try again later', await this.retryAfter(emailKey(email)));
    }
    if (Number(ipFailures ?? 0) >= this.maxPerIp) {
      throw new TooManyRequestsError('Too many failed logins from this address; try again later', await this.retryAfter(ipKey(ip)));
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await this.redis
      .multi()
      .incr(emailKey(email))
      .expire(emailKey(email), this.windowSeconds, 'NX')
      .incr(ipKey(ip))
      .expire(ipKey(ip), this.windowSeconds, 'NX')
      .exec();
  }

  async recordSuccess(email: string): Promise<void> {
    await this.redis.del(emailKey(email));
  }

  private async retryAfter(key: string): Promise<number> {
    const ttl = await this.redis.ttl(key);
    return ttl > 0 ? ttl : this.windowSeconds;
  }
}

function emailKey(email: string): string {
  return `login-failures:email:${email}`;
}

function ipKey(ip: string): string {
  return `login-failures:ip:${ip}`;
}
