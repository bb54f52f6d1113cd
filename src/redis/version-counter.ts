import type { default as Redis } from 'ioredis';

/**
 * The value a missing version counter starts at (Redis restarted empty): the current time in
 * microseconds, above any value the previous counter could have reached (it counts one per
 * write), so that a version is never handed out for two different states.
 */
export function counterStartValue(): string {
  return String(Date.now() * 1000);
}

/** Moves each counter on by one in one transaction, starting a missing one first; throws when Redis did not. */
export async function bumpCounters(redis: Redis, keys: Iterable<string>): Promise<void> {
  const transaction = redis.multi();
  for (const key of keys) transaction.set(key, counterStartValue(), 'NX').incr(key);
  const results = await transaction.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
}
