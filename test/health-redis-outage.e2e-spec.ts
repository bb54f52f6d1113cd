import request from 'supertest';
import { RedisProcess, waitFor } from './support/redis-process';
import { createTestApp, TestApp } from './support/test-app';

describe('/health through a Redis outage', () => {
  let redis: RedisProcess;
  let t: TestApp;

  beforeAll(async () => {
    redis = await RedisProcess.start();
    t = await createTestApp({ env: { REDIS_URL: redis.url } });
  });

  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  it('is 200, turns 503 while Redis is down, and recovers when Redis is back', async () => {
    await request(t.http).get('/health').expect(200);

    await redis.stop();
    const down = await request(t.http).get('/health').expect(503);
    expect(down.body.status).toBe('error');
    expect(down.body.details.redis.status).toBe('down');
    expect(down.body.details.mongodb.status).toBe('up');

    await redis.start();
    await waitFor(
      async () => (await request(t.http).get('/health')).status === 200,
      '/health to report 200 again after Redis restarted',
    );
    const up = await request(t.http).get('/health').expect(200);
    expect(up.body.details.redis.status).toBe('up');
  });
});
