import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ChainableCommander, default as Redis } from 'ioredis';
import { TurnPipeline, turnPipelineOf } from '../redis/turn-pipeline';

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

/**
 * The script as a command of the client (ioredis `defineCommand`): sent by its SHA1 (EVALSHA),
 * the text only the first time on each connection and after a NOSCRIPT (Redis restarted), instead
 * of the whole text with every request (EVAL), which Redis also hashed again every time.
 */
const THROTTLE_COMMAND = 'shopThrottleIncrement';
type ThrottleCommand = (...args: [string, string, string, string, string]) => Promise<unknown>;

/** Defines the throttle command on a client (once); pipelines made from it have it too. */
export function defineThrottleCommand(redis: Redis): void {
  if (!(THROTTLE_COMMAND in redis)) redis.defineCommand(THROTTLE_COMMAND, { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
}

function throttleCommandOf(commander: Redis | ChainableCommander): ThrottleCommand {
  const command = (commander as unknown as Record<string, ThrottleCommand | undefined>)[THROTTLE_COMMAND];
  if (!command) throw new Error('The throttle command is not defined on this Redis client (defineThrottleCommand)');
  return command.bind(commander);
}

/**
 * Counts one request as the library's guard does through this storage, as a command of a
 * pipeline (the catalog's cache hits count in the same round trip as their cache read);
 * `throttleRecordOf` reads its result. The pipeline's client must have the command
 * (defineThrottleCommand, done by the storage the throttler module makes of the same client).
 */
export function addThrottleCommand(pipeline: ChainableCommander, key: string, ttl: number, limit: number, throttlerName: string): void {
  void throttleCommandOf(pipeline)(...scriptArguments(key, ttl, limit, 0, throttlerName));
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

  private readonly turn: TurnPipeline;

  constructor(redis: Redis) {
    defineThrottleCommand(redis);
    this.turn = turnPipelineOf(redis);
  }

  /** Sent with the other commands of its turn (TurnPipeline): the session read of the same and other requests. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    try {
      const counted = await this.turn.send<number[]>((pipeline) => throttleCommandOf(pipeline)(...scriptArguments(key, ttl, limit, blockDuration, throttlerName)));
      return recordOf(counted);
    } catch (error) {
      if (Date.now() - this.lastWarning > 10_000) {
        this.lastWarning = Date.now();
        this.logger.warn(`Request throttling is off while Redis is unreachable: ${(error as Error).message}`);
      }
      return { totalHits: 0, timeToExpire: 0, isBlocked: false, timeToBlockExpire: 0 };
    }
  }
}
