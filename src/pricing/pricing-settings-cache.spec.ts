import { EventEmitter } from 'node:events';
import type { default as Redis } from 'ioredis';
import type { Model } from 'mongoose';
import { PricingSettingsCache } from './pricing-settings-cache';

/**
 * The held settings against an in-memory stand-in for Redis (a counter and a switch that makes
 * it unreachable) and for the three collections (counting reads). The e2e suite
 * pricing-settings-processes proves the same against the real stack across two processes; this
 * covers what it cannot stage: Redis failing between a write and its bump.
 */
class FakeRedis extends EventEmitter {
  values = new Map<string, string>();
  down = false;

  private check(): void {
    if (this.down) throw new Error('connection lost');
  }

  async get(key: string): Promise<string | null> {
    this.check();
    return this.values.get(key) ?? null;
  }

  async set(key: string, value: string, mode: 'NX'): Promise<'OK' | null> {
    this.check();
    if (mode === 'NX' && this.values.has(key)) return null;
    this.values.set(key, value);
    return 'OK';
  }

  /** What TurnPipeline uses: GETs, sent together. */
  pipeline() {
    const keys: string[] = [];
    const pipeline = {
      get length() {
        return keys.length;
      },
      get: (key: string) => {
        keys.push(key);
        return pipeline;
      },
      exec: async () => {
        this.check();
        return keys.map((key) => [null, this.values.get(key) ?? null]);
      },
    };
    return pipeline;
  }

  private ticks = 0;

  /**
   * The counter scripts of version-counter.ts, as they act. Redis's clock is this process's here,
   * in microseconds, moving on between calls as Redis's does between round trips.
   */
  defineCommand(name: string): void {
    const clock = () => Date.now() * 1000 + (this.ticks += 1);
    const scripts: Record<string, (key: string) => void> = {
      advanceVersionCounters: (key) => this.values.set(key, String(Math.max(Number(this.values.get(key) ?? 0) + 1, clock()))),
      startVersionCounters: (key) => void (this.values.has(key) || this.values.set(key, String(clock()))),
    };
    Object.assign(this, {
      [name]: async (numberOfKeys: number, ...keys: string[]) => {
        this.check();
        const counters = keys.slice(0, numberOfKeys);
        counters.forEach(scripts[name]);
        // What the start script answers (the advance script's answer is not read).
        return counters.map((key) => this.values.get(key) ?? null);
      },
    });
  }
}

function collection(documents: object[]) {
  const model = {
    reads: 0,
    documents,
    collection: {
      find: () => ({
        toArray: async () => {
          model.reads += 1;
          return model.documents;
        },
      }),
    },
  };
  return model;
}

describe('PricingSettingsCache', () => {
  let redis: FakeRedis;
  let rates: ReturnType<typeof collection>;
  let cache: PricingSettingsCache;
  const reads = () => rates.reads;

  beforeEach(() => {
    redis = new FakeRedis();
    rates = collection([{ country: 'DE', rate: 1900 }]);
    const asModel = <T>(fake: ReturnType<typeof collection>) => fake as unknown as Model<T>;
    cache = new PricingSettingsCache(asModel(rates), asModel(collection([])), asModel(collection([])), redis as unknown as Redis);
  });

  it('reads once while no write comes, again after each bump, and shares one read between simultaneous quotes', async () => {
    await Promise.all([cache.current(), cache.current(), cache.current()]);
    await cache.current();
    expect(reads()).toBe(1);
    await cache.bump();
    rates.documents = [{ country: 'DE', rate: 700 }];
    expect((await cache.current()).taxRates).toEqual([{ country: 'DE', rate: 700 }]);
    await cache.current();
    expect(reads()).toBe(2);
  });

  it('a counter that is missing (Redis restarted empty) starts above any version handed out before', async () => {
    await cache.current();
    const before = Number(redis.values.get('pricing:version'));
    redis.values.clear();
    await cache.bump();
    expect(Number(redis.values.get('pricing:version'))).toBeGreaterThan(before);
    await cache.current();
    expect(reads()).toBe(2);
  });

  it('a counter that went back (Redis restored from a snapshot) is a change: held settings are used only under their own version', async () => {
    await cache.current();
    const version = Number(redis.values.get('pricing:version'));
    await cache.bump();
    await cache.current();
    expect(reads()).toBe(2);
    redis.values.set('pricing:version', String(version));
    await cache.current();
    expect(reads()).toBe(3);
    // The next write takes it to the version this process held before: read again all the same.
    rates.documents = [{ country: 'DE', rate: 700 }];
    await cache.bump();
    expect((await cache.current()).taxRates).toEqual([{ country: 'DE', rate: 700 }]);
  });

  it('nothing held survives a lost connection (a bump may have gone by meanwhile) or HELD_AT_MOST_MS', async () => {
    await cache.current();
    redis.emit('close');
    await cache.current();
    expect(reads()).toBe(2);
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 59_000);
    try {
      await cache.current();
      expect(reads()).toBe(2);
      clock.mockReturnValue(now + 61_000);
      await cache.current();
      expect(reads()).toBe(3);
    } finally {
      clock.mockRestore();
    }
  });

  it('Redis unreachable: every quote reads; a bump that failed keeps it reading until the bump is made once Redis is back', async () => {
    await cache.current();
    redis.down = true;
    await cache.current();
    await cache.current();
    expect(reads()).toBe(3);
    // The admin's write lands in MongoDB, its bump fails.
    await expect(cache.bump()).resolves.toBeUndefined();
    redis.down = false;
    rates.documents = [{ country: 'DE', rate: 700 }];
    // Back, not yet reconnected ('ready'): the owed bump is made before the version is trusted.
    expect((await cache.current()).taxRates).toEqual([{ country: 'DE', rate: 700 }]);
    expect(reads()).toBe(4);
    await cache.current();
    expect(reads()).toBe(4);
  });

  it('a read that fails is not kept', async () => {
    const failing = rates.collection.find;
    rates.collection.find = () => ({ toArray: async () => Promise.reject(new Error('MongoDB unreachable')) });
    await expect(cache.current()).rejects.toThrow('MongoDB unreachable');
    rates.collection.find = failing;
    expect((await cache.current()).taxRates).toEqual([{ country: 'DE', rate: 1900 }]);
  });
});
