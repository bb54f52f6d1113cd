import request from 'supertest';
import { registerCustomer, uniqueEmail } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

describe('Login failure limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    // A small per-IP limit keeps the test short; per-email stays at its default of 5.
    t = await createTestApp({ env: { LOGIN_MAX_FAILURES_PER_IP: '60' } });
  });
  afterAll(() => t?.close());

  const attempt = (email: string, password: string) =>
    request(t.http).post('/api/v1/auth/login').send({ email, password });

  it('locks an email after 5 failures with 429 and Retry-After, even for the right password', async () => {
    const account = await registerCustomer(t, 'locked');
    for (let i = 0; i < 5; i += 1) await attempt(account.email, 'wrong password').expect(401);

    const locked = await attempt(account.email, account.password).expect(429);
    expect(locked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // The lock is per email, in any case: another account from the same client still logs in.
    await attempt(account.email.toUpperCase(), account.password).expect(429);
    const other = await registerCustomer(t, 'unaffected');
    await attempt(other.email, other.password).expect(200);
  });

  it('lets exactly 5 of 20 simultaneous guesses reach the password check', async () => {
    const account = await registerCustomer(t, 'parallel');
    const results = await Promise.all(Array.from({ length: 20 }, () => attempt(account.email, 'wrong password')));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    await attempt(account.email, account.password).expect(429);
  });

  it('a successful login clears the failures of that email', async () => {
    const account = await registerCustomer(t, 'recovering');
    for (let i = 0; i < 4; i += 1) await attempt(account.email, 'wrong password').expect(401);
    await attempt(account.email, account.password).expect(200);
    for (let i = 0; i < 4; i += 1) await attempt(account.email, 'wrong password').expect(401);
    await attempt(account.email, account.password).expect(200);
  });

  it('limits one client IP across many emails, with a looser limit', async () => {
    // Failures above already count for this IP; keep failing on fresh emails until the IP locks.
    let status = 401;
    for (let i = 0; i < 80 && status === 401; i += 1) {
      status = (await attempt(uniqueEmail('spray'), 'wrong password')).status;
    }
    expect(status).toBe(429);
    const res = await attempt(uniqueEmail('fresh'), 'wrong password').expect(429);
    expect(res.body.message).toMatch(/address/);
  });
});
