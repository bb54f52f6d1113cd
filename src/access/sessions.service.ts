import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isDuplicateKeyError } from '@app/common';
import { Model } from 'mongoose';
import Redis from 'ioredis';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import type { Role } from './roles';
import { turnPipelineOf } from '../redis/turn-pipeline';
import { SessionRotation } from './schemas/session-rotation.schema';

export interface Session {
  id: string;
  userId: string;
  role: Role;
  /** The user's email at login (who an admin change is by, in the audit log). */
  email: string;
  /** The user's session generation the session began in (0 for sessions made before generations). */
  generation: number;
}

export type RotationResult =
  | { outcome: 'rotated'; session: Session; refreshToken: string }
  | { outcome: 'invalid' }
  | { outcome: 'reused' };

/** The recorded rotation count of an ended session: above any a rotation reaches. */
const ENDED = Number.MAX_SAFE_INTEGER;

/** Rotated hashes remembered per session for reuse detection; older ones are merely invalid. */
const USED_HASHES_KEPT = 50;

// Compare-and-swap of the refresh-token hash, atomic in Redis. A recently rotated hash presented
// again means the token was copied: the whole session is deleted. The session keeps the expiry
// it was created with (absolute lifetime); the list of used hashes expires with it, at the same
// instant (its absolute expiry copied: a relative one could land a millisecond later). A rotation
// answers the session's count of rotations and its expiry (ms since the epoch).
const ROTATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'refreshHash')
if not current then return 0 end
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refreshHash', ARGV[2])
  local rotations = redis.call('HINCRBY', KEYS[1], 'rotations', 1)
  local expiry = redis.call('PEXPIRETIME', KEYS[1])
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('LTRIM', KEYS[2], 0, ${USED_HASHES_KEPT - 1})
  redis.call('PEXPIREAT', KEYS[2], expiry)
  return {rotations, expiry}
end
if redis.call('LPOS', KEYS[2], ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return -1
end
return 0
`;

// Creates a session only if no revocation of every session of the user has been heard of since
// the user's session generation (ARGV[1]) that the caller read with the credentials it checked:
// a password reset or role change in between voids the login. KEYS[3] holds the highest
// generation whose revocation Redis heard of.
const CREATE_SCRIPT = `
if tonumber(redis.call('GET', KEYS[3]) or '0') > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'userId', ARGV[2], 'role', ARGV[3], 'refreshHash', ARGV[4], 'createdAt', ARGV[5], 'email', ARGV[8], 'generation', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1
`;

// Deletes every session of a user and records the user's new session generation (ARGV[2], never
// lowered), in one step: a login finishing at the same moment either lands before (and is
// deleted) or is refused. ARGV[1] is the client's key prefix: keys built inside a script do not
// get it automatically. The record expires with the sessions (ARGV[3] seconds): a session begun
// in an older generation after that is still refused at its first refresh.
const REVOKE_ALL_SCRIPT = `
if tonumber(ARGV[2]) > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
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
 * What Redis can lose is also kept in MongoDB: a session records the user's session generation
 * it was made in, which a refresh checks against the user's before it rotates (`rotate`), and every
 * rotation is counted in `session_rotations`. A session whose deletion or rotation Redis lost
 * cannot be kept alive past its access tokens.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly ttlSeconds: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @InjectModel(SessionRotation.name) private readonly rotations: Model<SessionRotation>,
    config: AppConfig,
  ) {
    this.ttlSeconds = config.get('REFRESH_TOKEN_TTL_DAYS') * 24 * 3600;
  }

  /**
   * A new session, or null when every session of the user was revoked since `generation` (the
   * user's `sessionGeneration`, read with the credentials checked) was read.
   */
  async create(userId: string, role: Role, generation: number, email: string): Promise<{ session: Session; refreshToken: string } | null> {
    const id = randomUUID();
    const { secret, hash } = newSecret();
    const created = (await this.redis.eval(
      CREATE_SCRIPT,
      3,
      sessionKey(id),
      userSessionsKey(userId),
      revokedGenerationKey(userId),
      String(generation),
      userId,
      role,
      hash,
      new Date().toISOString(),
      String(this.ttlSeconds),
      id,
      email,
    )) as number;
    if (created !== 1) return null;
    return { session: { id, userId, role, email, generation }, refreshToken: `${id}.${secret}` };
  }

  /** The session an access token names, if it still exists and belongs to that user. */
  async findActive(sessionId: string, userId: string): Promise<Session | null> {
    // With the other commands of its turn (the throttle counts of this and other requests).
    const [storedUserId, role, email, generation] = await turnPipelineOf(this.redis).send<(string | null)[]>((pipeline) =>
      pipeline.hmget(sessionKey(sessionId), ...SESSION_FIELDS),
    );
    if (!storedUserId || storedUserId !== userId) return null;
    return sessionOf(sessionId, [storedUserId, role, email, generation]);
  }

  /**
   * A new refresh token for the session the given one is of. `inCurrentGeneration` tells whether
   * the user is still in the session generation the session began in (it reads the user, outside
   * Redis); asked before anything is written, so a failure there leaves the token as it was.
   * Sessions made before generations were recorded count as generation 0, as do their users.
   */
  async rotate(refreshToken: string, inCurrentGeneration: (userId: string, generation: number) => Promise<boolean>): Promise<RotationResult> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) return { outcome: 'invalid' };
    const fields = await this.redis.hmget(sessionKey(parsed.sessionId), ...SESSION_FIELDS);
    if (!fields[0]) return { outcome: 'invalid' };
    const session = sessionOf(parsed.sessionId, fields);
    const userId = session.userId;
    if (!(await inCurrentGeneration(userId, session.generation))) {
      // Every session of the user was ended since this one began, but Redis did not hear of it
      // or lost it (the process died between the writes; a restart from an older snapshot; a
      // failover to a replica that lagged).
      await this.revoke(parsed.sessionId, userId);
      return { outcome: 'invalid' };
    }

    const next = newSecret();
    const result = (await this.redis.eval(
      ROTATE_SCRIPT,
      2,
      sessionKey(parsed.sessionId),
      usedKey(parsed.sessionId),
      sha256(parsed.secret),
      next.hash,
    )) as number | [rotations: number, expiry: number];

    if (Array.isArray(result)) {
      const [rotations, expiry] = result;
      if (!(await this.recordRotation(parsed.sessionId, rotations, expiry))) {
        // Redis counted fewer rotations than were made: it lost the last ones, and the token
        // just presented is one of those rotated away. Used again, as if copied.
        await this.revoke(parsed.sessionId, userId);
        return { outcome: 'reused' };
      }
      return {
        outcome: 'rotated',
        session,
        refreshToken: `${parsed.sessionId}.${next.secret}`,
      };
    }
    if (result === -1) {
      await this.recordEnd(parsed.sessionId);
      await this.redis.srem(userSessionsKey(userId), parsed.sessionId);
      return { outcome: 'reused' };
    }
    return { outcome: 'invalid' };
  }

  /**
   * Records the session's rotation number `rotations` outside Redis; false when as many or more
   * were recorded already. The upsert matches only a lower count: an equal or higher one makes it
   * insert a second record of the session, which the unique `_id` refuses.
   */
  private async recordRotation(sessionId: string, rotations: number, expiryMillis: number): Promise<boolean> {
    const expiresAt = new Date(expiryMillis > 0 ? expiryMillis : Date.now() + this.ttlSeconds * 1000);
    try {
      await this.rotations.updateOne({ _id: sessionId, rotations: { $lt: rotations } }, { $set: { rotations, expiresAt } }, { upsert: true });
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /**
   * Records outside Redis that the session ended (logout, a copied token): a count no rotation
   * reaches, so the session refreshes no more should Redis bring it back. A MongoDB outage does
   * not stop the session from ending in Redis: it is logged, and only that safeguard is missing.
   */
  private async recordEnd(sessionId: string): Promise<void> {
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    try {
      await this.rotations.updateOne({ _id: sessionId }, { $set: { rotations: ENDED, expiresAt } }, { upsert: true });
    } catch (error) {
      this.logger.warn(`Session ${sessionId} ended in Redis only (its end not recorded in MongoDB): ${(error as Error).message}`);
    }
  }

  async revoke(sessionId: string, userId: string): Promise<void> {
    await this.recordEnd(sessionId);
    await this.redis
      .multi()
      .del(sessionKey(sessionId), usedKey(sessionId))
      .srem(userSessionsKey(userId), sessionId)
      .exec();
  }

  /** Ends every session of the user, whose stored session generation is now `generation`. */
  async revokeAllForUser(userId: string, generation: number): Promise<void> {
    await this.redis.eval(REVOKE_ALL_SCRIPT, 2, userSessionsKey(userId), revokedGenerationKey(userId), this.redis.options.keyPrefix ?? '', String(generation), String(this.ttlSeconds));
  }
}

/** The session hash's fields a Session is read from (`sessionOf`). */
const SESSION_FIELDS = ['userId', 'role', 'email', 'generation'] as const;

/** A Session from its hash's SESSION_FIELDS; sessions made before generations count as generation 0. */
function sessionOf(id: string, [userId, role, email, generation]: (string | null)[]): Session {
  return { id, userId: userId ?? '', role: role as Role, email: email ?? '', generation: Number(generation ?? 0) };
}

function sessionKey(sessionId: string): string {
  return `session:${sessionId}`;
}

function usedKey(sessionId: string): string {
  return `session:${sessionId}:used`;
}

/** The user's session generation as of the last revocation of all sessions Redis heard of. */
function revokedGenerationKey(userId: string): string {
  return `sessions-revoked-generation:${userId}`;
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
