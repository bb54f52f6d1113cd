import request from 'supertest';
import { anotherInstanceOf, createTestApp, TestApp } from './support/test-app';

describe('Global request throttling', () => {
  let t: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT_PER_MINUTE: '5' } });
    second = await anotherInstanceOf(t);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  it('answers 429 in the API error shape with Retry-After past the per-minute limit, but never on /health', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await request(t.http).get('/api/v1/categories')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const limited = await request(t.http).get('/api/v1/categories').expect(429);
    expect(limited.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    for (let i = 0; i < 8; i += 1) await request(t.http).get('/health').expect(200);
  });

  it('counts in Redis, so a client limited by one API instance is limited by the others too', async () => {
    // Use up this client's minute on the first instance only (the test above may have done so).
    let status = 200;
    for (let i = 0; i <= 5 && status !== 429; i += 1) status = (await request(t.http).get('/api/v1/categories')).status;
    expect(status).toBe(429);
    const res = await request(second.http).get('/api/v1/categories').expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});
