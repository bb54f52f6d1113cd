import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../access/sessions.service';

/** Whom a token was issued to, and in which of the user's session generations, if one was given. */
export interface TokenHolder {
  userId: string;
  generation?: number;
}

/**
 * Emailed tokens in Redis (password reset, email verification): only their hash, mapped to the
 * user, expiring; plus the set of a user's outstanding hashes, so that redeeming one voids every
 * other token of that user and kind.
 */
export class SingleUseTokens {
  constructor(
    private readonly redis: Redis,
    /** Names the kind in the keys: `<kind>:<hash>` and `<kind>-user:<userId>`. */
    private readonly kind: string,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * With the user's session generation: the token names it, so that what it does can be made
   * conditional on it (a Redis that lost the token's redemption brings the token back). Kept
   * under a key of its own, beside the user id: a process of the version before reads the user id
   * as it always did.
   */
  async issue(userId: string, generation?: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const hash = sha256(token);
    const issuing = this.redis.multi();
    if (generation !== undefined) issuing.set(this.generationKey(hash), String(generation), 'EX', this.ttlSeconds);
    await issuing
      .set(this.tokenKey(hash), userId, 'EX', this.ttlSeconds)
      .sadd(this.userTokensKey(userId), hash)
      .expire(this.userTokensKey(userId), this.ttlSeconds)
      .exec();
    return token;
  }

  /** Whom the token was for; the token and all other tokens of that user stop working. */
  async redeem(token: string): Promise<TokenHolder | null> {
    // GETDEL makes the token single-use even when two redemptions race.
    const hash = sha256(token);
    const replies = (await this.redis.multi().getdel(this.tokenKey(hash)).getdel(this.generationKey(hash)).exec()) as [Error | null, string | null][];
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    const [[, userId], [, generation]] = replies;
    if (!userId) return null;
    const others = await this.redis.smembers(this.userTokensKey(userId));
    await this.redis.del(this.userTokensKey(userId), ...others.flatMap((other) => [this.tokenKey(other), this.generationKey(other)]));
    return generation === null ? { userId } : { userId, generation: Number(generation) };
  }

  private tokenKey(hash: string): string {
    return `${this.kind}:${hash}`;
  }

  private generationKey(hash: string): string {
    return `${this.kind}-generation:${hash}`;
  }

  private userTokensKey(userId: string): string {
    return `${this.kind}-user:${userId}`;
  }
}

/**
 * The front end's page for a token sent by email, with the token in the fragment, which browsers
 * never send to a server: it stays out of the front end's access logs and Referer headers.
 */
export function tokenLink(publicUrl: string, path: string, token: string): string {
  const link = new URL(path, publicUrl);
  link.hash = new URLSearchParams({ token }).toString();
  return link.toString();
}
