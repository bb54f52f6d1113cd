import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { TooManyRequestsError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { clientKeyOf } from './client-key';

// Counts one attempt for the email and for the client, atomically, and reports both counts and
// the seconds left in each window. The window starts at the first attempt (EXPIRE NX).
const RESERVE_SCRIPT = `
local counts = {}
for i = 1, 2 do
  counts[i] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1], 'NX')
end
return { counts[1], redis.call('TTL', KEYS[1]), counts[2], redis.call('TTL', KEYS[2]) }
`;

/** Undoes a reserved attempt that turned out to be a success. */
const RELEASE_SCRIPT = `
redis.call('DEL', KEYS[1])
if (tonumber(redis.call('GET', KEYS[2]) or '0')) > 0 then redis.call('DECR', KEYS[2]) end
return 1
`;

export interface LoginAttempt {
  emailKey: string;
  clientKey: string;
}

/**
 * Limits failed logins per email (tight: protects one account from guessing) and per client
 * (loose: many people behind one address keep working). Every attempt is counted *before* the
 * password is checked, so a burst of parallel guesses cannot slip past the limit; a successful
 * login takes its attempt back and clears the email's count.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly windowSeconds: number;
  private readonly maxPerEmail: number;
  private readonly maxPerClient: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.windowSeconds = config.get('LOGIN_FAILURE_WINDOW_MINUTES') * 60;
    this.maxPerEmail = config.get('LOGIN_MAX_FAILURES_PER_EMAIL');
    this.maxPerClient = config.get('LOGIN_MAX_FAILURES_PER_IP');
  }

  /** Counts the attempt, or refuses it with 429 when the email or the client is over its limit. */
  async reserve(email: string, ip: string): Promise<LoginAttempt> {
    const attempt = { emailKey: `login-failures:email:${email}`, clientKey: `login-failures:ip:${clientKeyOf(ip)}` };
    const [emailCount, emailTtl, clientCount, clientTtl] = (await this.redis.eval(
      RESERVE_SCRIPT,
      2,
      attempt.emailKey,
      attempt.clientKey,
      String(this.windowSeconds),
    )) as number[];
    if (emailCount > this.maxPerEmail) {
      throw new TooManyRequestsError('Too many failed logins for this account; try again later', this.retryAfter(emailTtl));
    }
    if (clientCount > this.maxPerClient) {
      throw new TooManyRequestsError('Too many failed logins from this address; try again later', this.retryAfter(clientTtl));
    }
    return attempt;
  }

  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 2, attempt.emailKey, attempt.clientKey);
  }

  private retryAfter(ttl: number): number {
    return ttl > 0 ? ttl : this.windowSeconds;
  }
}
