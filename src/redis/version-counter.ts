import type { default as Redis } from 'ioredis';

/**
 * Lua for scripts that move version counters: `advance(key, now)` sets the counter to the larger
 * of its value plus one and `now`, Redis's clock in microseconds (`clockMicros()`), and returns
 * the new value and how far it moved. A counter that only counted (INCR) would hand out again,
 * after Redis lost its last writes (an append-only file losing its last second, a failover to a
 * replica that lagged), the versions it had handed out before the loss, for other states; clients
 * and CDNs still holding an ETag made of one would be answered 304 for content they never saw.
 * Pinned to the clock, a version lost with the writes is below every version handed out once
 * Redis is back (its clock has moved on meanwhile), unless bumps came faster than one per
 * microsecond (CatalogVersion also pins them ahead by a margin when it finds another server,
 * whose clock may be behind). A missing counter moves from 0, to `now`: where startCounters
 * starts one.
 * Values stay below 2^53 (microseconds until the year 2255), exact as Lua's numbers and as
 * written (`%.0f`).
 */
/** Lua: `clockMicros()`, Redis's clock in microseconds. */
const CLOCK_LUA = `
local function clockMicros()
  local clock = redis.call('TIME')
  return tonumber(clock[1]) * 1000000 + tonumber(clock[2])
end
`;

export const ADVANCE_LUA = `${CLOCK_LUA}
local function advance(key, now)
  local current = tonumber(redis.call('GET', key) or '0')
  local value = math.max(current + 1, now)
  redis.call('SET', key, string.format('%.0f', value))
  return value, value - current
end
`;

const ADVANCE_COUNTERS_SCRIPT = `${ADVANCE_LUA}
local now = clockMicros()
for i = 1, #KEYS do advance(KEYS[i], now) end
return #KEYS
`;

/**
 * Missing counters start at Redis's clock, the one ADVANCE_LUA pins them to (not a host's, which
 * may run ahead); returns every counter's value.
 */
const START_COUNTERS_SCRIPT = `${CLOCK_LUA}
local now = string.format('%.0f', clockMicros())
for i = 1, #KEYS do redis.call('SET', KEYS[i], now, 'NX') end
return redis.call('MGET', unpack(KEYS))
`;

interface WithCounterScripts {
  advanceVersionCounters(numberOfKeys: number, ...keys: string[]): Promise<number>;
  startVersionCounters(numberOfKeys: number, ...keys: string[]): Promise<string[]>;
}

function withCounterScripts(redis: Redis): Redis & WithCounterScripts {
  if (!('advanceVersionCounters' in redis)) redis.defineCommand('advanceVersionCounters', { lua: ADVANCE_COUNTERS_SCRIPT });
  if (!('startVersionCounters' in redis)) redis.defineCommand('startVersionCounters', { lua: START_COUNTERS_SCRIPT });
  return redis as Redis & WithCounterScripts;
}

/** Moves each counter on (ADVANCE_LUA) in one atomic step, starting a missing one; throws when Redis did not. */
export async function bumpCounters(redis: Redis, keys: Iterable<string>): Promise<void> {
  const counters = [...keys];
  await withCounterScripts(redis).advanceVersionCounters(counters.length, ...counters);
}

/** Starts the missing ones of the counters (Redis restarted empty, a key evicted), leaves the others; the value of each. */
export async function startCounters(redis: Redis, keys: Iterable<string>): Promise<string[]> {
  const counters = [...keys];
  return withCounterScripts(redis).startVersionCounters(counters.length, ...counters);
}
