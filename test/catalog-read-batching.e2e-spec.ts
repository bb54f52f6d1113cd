import type Redis from 'ioredis';
import request from 'supertest';
import { CatalogVersion } from '../src/products/catalog-version';
import { REDIS } from '../src/redis/redis.module';
import { createTestApp, TestApp } from './support/test-app';

describe('Catalog reads asked for in one turn of the event loop share one Redis round trip', () => {
  let t: TestApp;
  const LIMIT = 1000;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('one pipeline carries every read of the turn; each gets its own command result and cache entry, and the same versions', async () => {
    const versions = t.app.get(CatalogVersion);
    const redis = t.app.get<Redis>(REDIS);
    await redis.set('batch-test:stored', 'an answer');
    const pipelines = jest.spyOn(redis, 'pipeline');
    try {
      const reads = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          versions.current(index % 2 === 0 ? 'batch-test:stored' : 'batch-test:absent', (pipeline) => void pipeline.incrby('batch-test:sum', index + 1)),
        ),
      );
      expect(pipelines).toHaveBeenCalledTimes(1);
      // Each read's own command ran once, in the order asked: 1, 1+2, 1+2+3, ...
      expect(reads.map((read) => read?.before)).toEqual(Array.from({ length: 12 }, (_, index) => [null, ((index + 1) * (index + 2)) / 2]));
      expect(reads.map((read) => read?.also)).toEqual(Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? 'an answer' : null)));
      expect(new Set(reads.map((read) => JSON.stringify(read?.versions))).size).toBe(1);

      // A read whose own command cannot be added fails alone; the others in its turn are answered.
      const [broken, fine] = await Promise.all([
        versions.current(undefined, () => {
          throw new Error('no such command');
        }),
        versions.current('batch-test:stored', (pipeline) => void pipeline.incrby('batch-test:sum', 1)),
      ]);
      expect(broken?.before).toEqual([new Error('no such command'), null]);
      expect(fine).toMatchObject({ also: 'an answer', before: [null, 79] });
      expect(pipelines).toHaveBeenCalledTimes(2);

      // A bump answered before a read is asked for is seen by it.
      await versions.bump('content');
      const after = await versions.current();
      expect(Number(after?.versions.content)).toBeGreaterThan(Number(reads[0]?.versions.content));
    } finally {
      pipelines.mockRestore();
      await redis.del('batch-test:stored', 'batch-test:sum');
    }
  });

  it('a read asked for before the connection closed goes uncached; after a blink of the connection, Redis running as before, nothing is bumped', async () => {
    const versions = t.app.get(CatalogVersion);
    const redis = t.app.get<Redis>(REDIS);
    const settled = await versions.current();
    expect(settled).not.toBeNull();
    // ioredis would send it again on the new connection, before the process checked what Redis lost.
    const asked = versions.current('batch-test:stored');
    redis.emit('close');
    expect(await asked).toBeNull();
    const next = await versions.current();
    expect(next?.versions).toEqual(settled?.versions);
  });

  it('concurrent hits are each counted once against the limit', async () => {
    const path = '/api/v1/products?limit=3&sort=newest';
    const miss = await request(t.http).get(path).expect(200);
    const hits = await Promise.all(Array.from({ length: 20 }, () => request(t.http).get(path).expect(200)));
    expect(new Set(hits.map((hit) => hit.headers['cache-status']))).toEqual(new Set(['shop-api; hit']));
    expect(new Set(hits.map((hit) => hit.text))).toEqual(new Set([miss.text]));
    const remaining = hits.map((hit) => Number(hit.headers['x-ratelimit-remaining'])).sort((a, b) => b - a);
    const first = Number(miss.headers['x-ratelimit-remaining']);
    expect(remaining).toEqual(Array.from({ length: 20 }, (_, index) => first - 1 - index));
  });
});
