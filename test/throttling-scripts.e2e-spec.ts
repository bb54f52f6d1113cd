import type Redis from 'ioredis';
import request from 'supertest';
import { REDIS } from '../src/redis/redis.module';
import { createTestApp, TestApp } from './support/test-app';

describe('Request throttling when Redis has forgotten its scripts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  // The cart, not the catalog: anonymous catalog reads are counted by the catalog's own pipeline.
  it('still counts every request: the counting script, run by its hash, is sent whole when Redis does not know it', async () => {
    expect((await request(t.http).get('/api/v1/cart')).status).toBe(401);
    // What a restarted or new Redis server knows of scripts: nothing.
    await t.app.get<Redis>(REDIS).script('FLUSH');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request(t.http).get('/api/v1/cart')).status);
    expect(statuses).toEqual([401, 401, 429]);
  });
});
