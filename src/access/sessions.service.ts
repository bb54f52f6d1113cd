import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import type { Role } from './roles';
import { turnPipelineOf } from '../redis/turn-pipeline';

export interface Session {
  id: string;
  userId: string;
  role: Role;
  /** The user's email at login (who an admin change is by, in the audit log). */
  email: string;
}

export type RotationResult =
  | { outcome: 'rotated'; session: Session; refreshToken: string }
  | { outcome: 'invalid' }
  | { outcome: 'reused' };

/** Rotated hashes remembered per session for reuse detection; older ones are merely invalid. */
const USED_HASHES_KEPT = 50;

// Compare-and-swap of the refresh-token hash, atomic in Redis. A recently rotated hash presented
// again means the token was copied: the whole session is deleted. The session keeps the expiry
// it was created with (absolute lifetime); the list of used hashes expires with it, at the same
// instant (its absolute expiry copied: a relative one could land a millisecond later).
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'refreshHash')
if not current then return 0 end
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refreshHash', ARGV[2])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, ${USED_HASHES_KEPT - 1})
  redis.call('PEXPIREAT', KEYS[2], redis.call('PEXPIRETIME', KEYS[1]))
  return 1
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return -1
end
return 0
`;

// Creates a session only if the user's session generation is still the one the caller read
// before checking the password: a password reset or role change in between voids the login.
const CREATE_SCRIPT = `
if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'userId', ARGV[2], 'role', ARGV[3], 'refreshHash', ARGV[4], 'createdAt', ARGV[5], 'email', ARGV[8])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1
`;

// Deletes every session of a user and moves the user to a new session generation, in one step:
// a login finishing at the same moment either lands before (and is deleted) or is refused.
// ARGV[1] is the client's key prefix: keys built inside a script do not get it automatically.
const REVOKE_ALL_SCRIPT = `
redis.call('INCR', KEYS[2])
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. 'session:' .. id, ARGV[1] .. 'session:' .. id .. ':used')
end
redis.call('DEL', KEYS[1])
return #ids
`;

/**
 * Login sessions in Redis. A session holds the hash of its current refresh token; access tokens
 * name their session, so deleting it ends every token of that login at once. A session lives
 * REFRESH_TOKEN_TTL_DAYS from its login, however often it is refreshed.
 * Refresh tokens are opaque: `<sessionId>.<secret>`; only a SHA-256 of the secret is stored.
 */
@Injectable()
export class SessionsService {
  private readonly ttlSeconds: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.ttlSeconds = config.get('REFRESH_TOKEN_TTL_DAYS') * 24 * 3600;
  }

  /**
   * The user's session generation: read it before checking credentials and hand it to
   * `create`, which refuses if every session was revoked in between.
   */
  async generation(userId: string): Promise<string> {
    return (await this.redis.get(generationKey(userId))) ?? '0';
  }

  /** A new session, or null when the user's sessions were revoked since `generation` was read. */
  async create(userId: string, role: Role, generation: string, email: string): Promise<{ session: Session; refreshToken: string } | null> {
    const id = randomUUID();
    const { secret, hash } = newSecret();
    const created = (await this.redis.eval(
      CREATE_SCRIPT,
      3,
      sessionKey(id),
      userSessionsKey(userId),
      generationKey(userId),
      generation,
      userId,
      role,
      hash,
      new Date().toISOString(),
      String(this.ttlSeconds),
      id,
      email,
    )) as number;
    if (created !== 1) return null;
    return { session: { id, userId, role, email }, refreshToken: `${id}.${secret}` };
  }

  /** The session an access token names, if it still exists and belongs to that user. */
  async findActive(sessionId: string, userId: string): Promise<Session | null> {
    // With the other commands of its turn (the throttle counts of this and other requests).
    const [storedUserId, role, email] = await turnPipelineOf(this.redis).send<(string | null)[]>((pipeline) => pipeline.hmget(sessionKey(sessionId), 'userId', 'role', 'email'));
    if (!storedUserId || storedUserId !== userId) return null;
    return { id: sessionId, userId, role: role as Role, email: email ?? '' };
  }

  async rotate(refreshToken: string): Promise<RotationResult> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) return { outcome: 'invalid' };
    const [userId, role, email] = await this.redis.hmget(sessionKey(parsed.sessionId), 'userId', 'role', 'email');
    if (!userId) return { outcome: 'invalid' };

    const next = newSecret();
    const result = (await this.redis.eval(
      ROTATE_SCRIPT,
      2,
      sessionKey(parsed.sessionId),
      usedKey(parsed.sessionId),
      sha256(parsed.secret),
      next.hash,
    )) as number;

    if (result === 1) {
      return {
        outcome: 'rotated',
        session: { id: parsed.sessionId, userId, role: role as Role, email: email ?? '' },
        refreshToken: `${parsed.sessionId}.${next.secret}`,
      };
    }
    if (result === -1) {
      await this.redis.srem(userSessionsKey(userId), parsed.sessionId);
      return { outcome: 'reused' };
    }
    return { outcome: 'invalid' };
  }

  async revoke(sessionId: string, userId: string): Promise<void> {
    await this.redis
      .multi()
      .del(sessionKey(sessionId), usedKey(sessionId))
      .srem(userSessionsKey(userId), sessionId)
      .exec();
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.redis.eval(REVOKE_ALL_SCRIPT, 2, userSessionsKey(userId), generationKey(userId), this.redis.options.keyPrefix ?? '');
  }
}

function sessionKey(sessionId: string): string {
  return `session:${sessionId}`;
}

function usedKey(sessionId: string): string {
  return `session:${sessionId}:used`;
}

function generationKey(userId: string): string {
  return `session-generation:${userId}`;
}

function userSessionsKey(userId: string): string {
  return `user-sessions:${userId}`;
}

function newSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: sha256(secret) };
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseRefreshToken(token: string): { sessionId: string; secret: string } | null {
  const [sessionId, secret, extra] = token.split('.');
  if (extra !== undefined || !sessionId || !secret || !UUID.test(sessionId) || !/^[\w-]{43}$/.test(secret)) {
    return null;
  }
  return { sessionId, secret };
}
