import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { LimitReachedError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { clientKeyOf } from '../core/client-key';

// KEYS: the counters (email from this client, email from everyone, this client over all emails);
// ARGV: the window in seconds, then each counter's limit. A counter at its limit refuses the
// attempt *without counting it*: refused guesses must not add up anywhere, or a client stopped
// by its own limit could go on raising the email's total until the real owner is locked out.
// Otherwise counts the attempt on every counter, the window starting at the first (EXPIRE NX).
// Returns {0, 0} when counted, or {which counter refused (1-based), its seconds left}.
const RESERVE_SCRIPT = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i + 1]) then
    return { i, redis.call('TTL', KEYS[i]) }
  end
end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1], 'NX')
end
return { 0, 0 }
`;

// Takes one counted attempt back from each counter; with ARGV[1] = 'clear', the first counter
// (this email from this client) is reset instead, as after a successful login.
const RELEASE_SCRIPT = `
for i = 1, #KEYS do
  if i == 1 and ARGV[1] == 'clear' then
    redis.call('DEL', KEYS[i])
  elseif tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 1
`;

export interface LoginAttempt {
  keys: [pair: string, email: string, client: string];
}

/**
 * Limits failed logins at three levels. The tight one is per (email, client): a guesser gets
 * LOGIN_MAX_FAILURES_PER_EMAIL tries per account from each client (IPv6 /64, IPv4 address),
 * and locks only itself out. A much higher ceiling per email (LOGIN_MAX_FAILURES_PER_EMAIL_TOTAL)
 * bounds guessing spread over many clients, and locking the owner out then takes that many
 * failures from several clients within one window. A loose limit per client stops one address
 * spraying many accounts. Every attempt is counted *before* the password is checked, so a burst
 * of parallel guesses cannot slip past a limit; a successful login takes its attempt back and
 * clears the (email, client) count.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly windowSeconds: number;
  private readonly limits: [number, number, number];

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.windowSeconds = config.get('LOGIN_FAILURE_WINDOW_MINUTES') * 60;
    this.limits = [
      config.get('LOGIN_MAX_FAILURES_PER_EMAIL'),
      config.get('LOGIN_MAX_FAILURES_PER_EMAIL_TOTAL'),
      config.get('LOGIN_MAX_FAILURES_PER_IP'),
    ];
  }

  /** Counts the attempt, or refuses it with 429 when one of its counters is at its limit. */
  async reserve(email: string, ip: string): Promise<LoginAttempt> {
    const client = clientKeyOf(ip);
    const attempt: LoginAttempt = {
      keys: [`login-failures:email-client:${email}|${client}`, `login-failures:email:${email}`, `login-failures:ip:${client}`],
    };
    const [refusedBy, ttl] = (await this.redis.eval(
      RESERVE_SCRIPT,
      attempt.keys.length,
      ...attempt.keys,
      String(this.windowSeconds),
      ...this.limits.map(String),
    )) as number[];
    if (refusedBy === 3) {
      throw new LimitReachedError('Too many failed logins from this address; try again later', this.retryAfter(ttl));
    }
    if (refusedBy !== 0) {
      throw new LimitReachedError('Too many failed logins for this account; try again later', this.retryAfter(ttl));
    }
    return attempt;
  }

  async succeeded(attempt: LoginAttempt): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, attempt.keys.length, ...attempt.keys, 'clear');
  }

  /** The password was never checked (the server was busy): the attempt does not count. */
  async notChecked(attempt: LoginAttempt): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, attempt.keys.length, ...attempt.keys, 'keep');
  }

  private retryAfter(ttl: number): number {
    return ttl > 0 ? ttl : this.windowSeconds;
  }
}
