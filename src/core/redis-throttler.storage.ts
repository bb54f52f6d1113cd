import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ChainableCommander, default as Redis } from 'ioredis';

export interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

// One window counter and one block marker per client and throttler, updated atomically.
// Returns hits, window ms left, blocked (0/1), block ms left.
const INCREMENT_SCRIPT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]), 1, blockLeft }
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local windowLeft = redis.call('PTTL', KEYS[1])
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, windowLeft, 1, tonumber(ARGV[3]) }
end
return { hits, windowLeft, 0, 0 }
`;

const INCREMENT_SHA = createHash('sha1').update(INCREMENT_SCRIPT).digest('hex');

/**
 * Counts one request as the library's guard does through this storage, as a command of a
 * pipeline (the catalog's cache hits count in the same round trip as their cache read);
 * `throttleRecordOf` reads its result.
 */
export function addThrottleCommand(pipeline: ChainableCommander, key: string, ttl: number, limit: number, throttlerName: string): void {
  pipeline.eval(INCREMENT_SCRIPT, 2, ...scriptArguments(key, ttl, limit, 0, throttlerName));
}

/** The record of a pipelined count; null when it failed (Redis unreachable: throttling fails open). */
export function throttleRecordOf(result: [Error | null, unknown] | undefined): ThrottlerStorageRecord | null {
  if (!result || result[0]) return null;
  return recordOf(result[1] as number[]);
}

function scriptArguments(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): [string, string, string, string, string] {
  return [`throttle:${throttlerName}:${key}`, `throttle:${throttlerName}:${key}:blocked`, String(ttl), String(limit), String(blockDuration || ttl)];
}

function recordOf([totalHits, windowLeft, blocked, blockLeft]: number[]): ThrottlerStorageRecord {
  return {
    totalHits,
    timeToExpire: Math.max(Math.ceil(windowLeft / 1000), 0),
    isBlocked: blocked === 1,
    timeToBlockExpire: Math.max(Math.ceil(blockLeft / 1000), 0),
  };
}

/**
 * Request counts in Redis, so the per-minute limit holds across every API instance. When Redis
 * cannot be reached the limit is not enforced (fail open): throttling is a guard against abuse,
 * and it must not turn a Redis outage into an outage of every route.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private lastWarning = 0;

  constructor(private readonly redis: Redis) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    try {
      const args = scriptArguments(key, ttl, limit, blockDuration, throttlerName);
      return recordOf((await this.runScript(args)) as number[]);
    } catch (error) {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn(`Request throttling is off while Redis is unreachable: ${(error as Error).message}`);
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /**
   * The script by its hash (every request runs it: its text is not sent and hashed by Redis
   * each time); sent whole only when this Redis does not know it yet (a restart, a new server).
   */
  private async runScript(args: ReturnType<typeof scriptArguments>): Promise<unknown> {
    try {
      return await this.redis.evalsha(INCREMENT_SHA, 2, ...args);
    } catch (error) {
      if (!(error as Error).message.startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(INCREMENT_SCRIPT, 2, ...args);
    }
  }
}
