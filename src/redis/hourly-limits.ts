import type Redis from 'ioredis';

const HOUR_SECONDS = 3600;

/** The member's 0-based position in the set (given when first seen; the key lives an hour from its first member). */
const POSITION_SCRIPT = `
local position = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not position then
  position = redis.call('ZCARD', KEYS[1])
  redis.call('ZADD', KEYS[1], position, ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
end
return tonumber(position)
`;

/**
 * Whether `member` (a job or an email's key) is among the first `limit` members of `key` this
 * hour. Counted per member, so the retries of one job never use up the allowance; each member
 * gets the next position when first seen, in one script (atomic): ranking by time with the id as
 * tie-break would let job "10" overtake job "9" when both arrive in the same millisecond.
 */
export async function withinHourlyAllowance(redis: Redis, key: string, member: string, limit: number): Promise<boolean> {
  const position = (await redis.eval(POSITION_SCRIPT, 1, key, member, HOUR_SECONDS)) as number;
  return position < limit;
}

/** Counts one use unless the counter is at its limit: {0} when counted, else {seconds until it renews}. */
const RESERVE_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
  return math.max(redis.call('TTL', KEYS[1]), 1)
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2], 'NX')
return 0
`;

/**
 * Takes one of `limit` uses of `key` in the hour that starts with its first use; the seconds
 * until the hour renews when none is left (for `Retry-After`), else 0. The check and the count
 * are one script, so a burst of simultaneous requests cannot all slip under the limit.
 */
export async function takeHourlyUse(redis: Redis, key: string, limit: number): Promise<number> {
  return (await redis.eval(RESERVE_SCRIPT, 1, key, limit, HOUR_SECONDS)) as number;
}

/** Gives a use taken with takeHourlyUse back (it turned out not to count, e.g. a lookup that succeeded). */
export async function giveHourlyUseBack(redis: Redis, key: string): Promise<void> {
  await redis.eval(`if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end return 1`, 1, key);
}
