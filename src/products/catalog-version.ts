import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';

/** Under the deployment's key prefix (the shared client adds it). */
const VERSION_KEY = 'catalog:version';

/**
 * The catalog version: a Redis counter bumped after every catalog write (products and
 * categories). Cache keys and HTTP ETags carry it, so a write makes every cached catalog read
 * unreachable at once; no entry has to be found and deleted.
 *
 * A counter that starts over (Redis restarted empty) would hand out versions already used for
 * other content, and with them ETags a client may still hold. So a missing counter starts at the
 * current time in microseconds, which is above any value the previous counter could have reached
 * (it counts one per write).
 */
@Injectable()
export class CatalogVersion {
  private readonly logger = new Logger(CatalogVersion.name);
  /**
   * A write whose bump failed (Redis unreachable). Until the bump is made, this instance reads
   * uncached; it is retried as soon as the connection is back, so entries cached before the
   * outage cannot come back into use.
   */
  private bumpOwed = false;

  constructor(@Inject(REDIS) private readonly redis: Redis) {
    redis.on('ready', () => {
      if (this.bumpOwed) void this.bump();
    });
  }

  /** The current version, or null when Redis cannot tell: callers then read uncached. */
  async current(): Promise<string | null> {
    if (this.bumpOwed && !(await this.bump())) return null;
    try {
      const version = await this.redis.get(VERSION_KEY);
      if (version !== null) return version;
      await this.redis.set(VERSION_KEY, startValue(), 'NX');
      return await this.redis.get(VERSION_KEY);
    } catch {
      return null;
    }
  }

  /** Called after every catalog write. Never throws: the write has happened either way. */
  async bump(): Promise<boolean> {
    try {
      const results = await this.redis.multi().set(VERSION_KEY, startValue(), 'NX').incr(VERSION_KEY).exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
      this.bumpOwed = false;
      return true;
    } catch (error) {
      if (!this.bumpOwed) this.logger.warn(`Catalog version not bumped, reading uncached until Redis is back: ${(error as Error).message}`);
      this.bumpOwed = true;
      return false;
    }
  }
}

function startValue(): string {
  return String(Date.now() * 1000);
}
