import Redis from 'ioredis';
import request from 'supertest';
import { ClientThrottlerGuard } from '../src/core/client-throttler.guard';
import { createTestApp, TestApp } from './support/test-app';

/** Headers that differ between any two answers, whoever serves them (Cache-Status says which did). */
const PER_ANSWER = new Set(['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'connection', 'keep-alive', 'cache-status']);

describe('Catalog cache hits served before the pipeline (issue 28)', () => {
  let t: TestApp;
  const LIMIT = 8;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('counts every request exactly once when Redis has forgotten the throttle script (a restart, SCRIPT FLUSH)', async () => {
    // The throttle is sent by its SHA1 (EVALSHA); the text goes only when Redis answers NOSCRIPT.
    const raw = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const path = '/api/v1/categories';
      const remaining: number[] = [];
      remaining.push(Number((await request(t.http).get(path).expect(200)).headers['x-ratelimit-remaining']));
      await raw.script('FLUSH');
      remaining.push(Number((await request(t.http).get(path).expect(200)).headers['x-ratelimit-remaining']));
      await raw.script('FLUSH');
      // A miss through the guard (its own command) and a hit on the fast path (in the pipeline).
      const miss = await request(t.http).get('/api/v1/products?limit=2').expect(200);
      remaining.push(Number(miss.headers['x-ratelimit-remaining']));
      await raw.script('FLUSH');
      const hit = await request(t.http).get('/api/v1/products?limit=2').expect(200);
      expect(hit.headers['cache-status']).toBe('shop-api; hit');
      remaining.push(Number(hit.headers['x-ratelimit-remaining']));
      expect(remaining).toEqual([LIMIT - 1, LIMIT - 2, LIMIT - 3, LIMIT - 4]);
    } finally {
      // The test below starts this client's minute afresh.
      const counters = await raw.keys(`${t.env.REDIS_KEY_PREFIX}:throttle:*`);
      if (counters.length > 0) await raw.del(...counters);
      raw.disconnect();
    }
  });

  it('a hit skips the guards, answers the same bytes with the same headers, and still counts against the limit', async () => {
    const guard = jest.spyOn(ClientThrottlerGuard.prototype, 'canActivate');
    try {
      const path = '/api/v1/products?limit=5&sort=price_asc';
      const miss = await request(t.http).get(path).set('X-Request-Id', 'miss-1').expect(200);
      expect(guard).toHaveBeenCalledTimes(1);
      const hit = await request(t.http).get(path).set('X-Request-Id', 'hit-1').expect(200);
      // Not through Nest's pipeline: no guard ran.
      expect(guard).toHaveBeenCalledTimes(1);

      expect(hit.text).toBe(miss.text);
      expect([miss.headers['cache-status'], hit.headers['cache-status']]).toEqual(['shop-api; fwd=miss; stored', 'shop-api; hit']);
      const shared = (res: request.Response) => Object.fromEntries(Object.entries(res.headers).filter(([name]) => !PER_ANSWER.has(name)));
      expect(shared(hit)).toEqual(shared(miss));
      // Security headers from helmet and CORS are among them.
      expect(hit.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*', 'cache-control': 'public, max-age=30' });
      expect(hit.headers['x-powered-by']).toBeUndefined();
      expect(hit.headers['x-request-id']).toBe('hit-1');
      expect(Number(hit.headers['x-ratelimit-remaining'])).toBe(Number(miss.headers['x-ratelimit-remaining']) - 1);

      const notModified = await request(t.http).get(path).set('If-None-Match', hit.headers.etag).expect(304);
      expect(notModified.text ?? '').toBe('');
      expect(guard).toHaveBeenCalledTimes(1);

      // A request with credentials goes through the pipeline (and is never marked public).
      const withToken = await request(t.http).get(path).set('Authorization', 'Bearer not-a-token').expect(200);
      expect(withToken.headers['cache-control']).toMatch(/private/);
      expect(guard).toHaveBeenCalledTimes(2);

      // Hits count like any request: the limit ends them with the API's 429.
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT; i += 1) statuses.push((await request(t.http).get(path)).status);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
      const limited = await request(t.http).get(path).expect(429);
      expect(limited.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String) });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Requests before the limit: 4 above, then exactly LIMIT - 4 more were answered 200.
      expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT - 4);
    } finally {
      guard.mockRestore();
    }
  });
});
