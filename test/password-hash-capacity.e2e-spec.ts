import request from 'supertest';
import { uniqueEmail } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

describe('Password hashing capacity', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One hash at a time and nobody waiting: any overlap is refused.
    t = await createTestApp({ env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE: '0' } });
  });
  afterAll(() => t?.close());

  const register = (email: string) =>
    request(t.http).post('/api/v1/auth/register').send({ email, password: 'correct horse battery', name: 'Burst' });

  it('answers 503 with Retry-After to registrations past the cap, and creates only the accepted accounts', async () => {
    const emails = Array.from({ length: 16 }, () => uniqueEmail('burst'));
    const results = await Promise.all(emails.map(register));
    const busy = results.filter((res) => res.status === 503);
    const created = results.filter((res) => res.status === 201);
    expect(busy.length + created.length).toBe(emails.length);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const res of busy) {
      expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    const stored = await t.connection.collection('users').distinct('email', { email: { $in: emails } });
    expect(stored.sort()).toEqual(created.map((res) => res.body.user.email).sort());

    // The slots are free again once the burst is over.
    await register(uniqueEmail('after')).expect(201);
  });

  it('does not count a login refused as busy as a failed attempt', async () => {
    const email = uniqueEmail('busy-login');
    await register(email).expect(201);
    const results = await Promise.all(
      Array.from({ length: 16 }, () => request(t.http).post('/api/v1/auth/login').send({ email, password: 'wrong password' })),
    );
    const statuses = results.map((res) => res.status);
    // Only checked passwords count: at most 5 checked failures, and every other one was busy or refused.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThanOrEqual(1);
    const failures = statuses.filter((status) => status === 401).length;
    for (let i = failures; i < 5; i += 1) {
      await request(t.http).post('/api/v1/auth/login').send({ email, password: 'wrong password' }).expect(401);
    }
    await request(t.http).post('/api/v1/auth/login').send({ email, password: 'wrong password' }).expect(429);
  });
});
