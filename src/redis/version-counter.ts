import type { default as Redis } from 'ioredis';

/**
 * The value a missing version counter starts at (Redis restarted empty): the current time in
 * microseconds, above any value the previous counter could have reached (see ADVANCE_LUA), so
 * that a version is never handed out for two different states.
 */
export function counterStartValue(): string {
  return String(Date.now() * 1000);
}

/**
 * Lua for scripts that move version counters: `advance(key, now)` sets the counter to the larger
 * of its value plus one and `now`, Redis's clock in microseconds (`clockMicros()`), and returns
 * the new value and how far it moved. A counter that only counted (INCR) would hand out again,
 * after Redis lost its last writes (an append-only file losing its last second, a failover to a
 * replica that lagged), the versions it had handed out before the loss, for other states; clients
 * and CDNs still holding an ETag made of one would be answered 304 for content they never saw.
 * Pinned to the clock, a version lost with the writes is below every version handed out once
 * Redis is back (its clock has moved on meanwhile), unless bumps came faster than one per
 * microsecond. A missing counter moves from 0, to `now`, as counterStartValue would start it.
 * Values stay below 2^53 (microseconds until the year 2255), exact as Lua's numbers.
 */
export const ADVANCE_LUA = `
local function clockMicros()
  local clock = redis.call('TIME')
  return tonumber(clock[1]) * 1000000 + tonumber(clock[2])
end
local function advance(key, now)
  local current = tonumber(redis.call('GET', key) or '0')
  local value = math.max(current + 1, now)
  redis.call('SET', key, string.format('%d', value))
  return value, value - current
end
`;

const ADVANCE_COUNTERS_SCRIPT = `${ADVANCE_LUA}
local now = clockMicros()
for i = 1, #KEYS do advance(KEYS[i], now) end
return #KEYS
`;

interface WithAdvanceScript {
  advanceVersionCounters(numberOfKeys: number, ...keys: string[]): Promise<number>;
}

/** Moves each counter on (ADVANCE_LUA) in one atomic step, starting a missing one; throws when Redis did not. */
export async function bumpCounters(redis: Redis, keys: Iterable<string>): Promise<void> {
  if (!('advanceVersionCounters' in redis)) redis.defineCommand('advanceVersionCounters', { lua: ADVANCE_COUNTERS_SCRIPT });
  const counters = [...keys];
  await (redis as Redis & WithAdvanceScript).advanceVersionCounters(counters.length, ...counters);
}
