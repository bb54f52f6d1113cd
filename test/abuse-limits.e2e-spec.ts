import request from 'supertest';
import { uniqueEmail } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Limits of the expensive and sensitive routes, per client (IPv6 /64, IPv4 address) and per
 * IPv6 /48, with clients told apart by X-Forwarded-For from a trusted proxy.
 */
describe('Abuse limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TRUST_PROXY: 'loopback',
        THROTTLE_LIMIT_PER_MINUTE: '30',
        THROTTLE_REGISTER_PER_HOUR: '2',
        THROTTLE_NETWORK_MULTIPLIER: '3',
        LOGIN_MAX_FAILURES_PER_EMAIL: '5',
        LOGIN_MAX_FAILURES_PER_EMAIL_TOTAL: '12',
        THROTTLE_PAYMENT_WEBHOOK_PER_MINUTE: '3',
      },
    });
  });
  afterAll(() => t?.close());

  const password = 'correct horse battery';
  const register = (from: string, email = uniqueEmail('limited')) =>
    request(t.http).post('/api/v1/auth/register').set('X-Forwarded-For', from).send({ email, password, name: 'Limited' });
  const login = (from: string, email: string, pass: string) =>
    request(t.http).post('/api/v1/auth/login').set('X-Forwarded-For', from).send({ email, password: pass });
  const usersNamed = (emails: string[]) => t.connection.collection('users').countDocuments({ email: { $in: emails } });

  it('limits registrations per /64, whichever address of it asks', async () => {
    await register('2001:db8:10:1::1').expect(201);
    await register('2001:db8:10:1::2').expect(201);
    const limited = await register('2001:db8:10:1:ffff::3').expect(429);
    expect(limited.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.any(String) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    await register('2001:db8:10:2::1').expect(201);
  });

  it('limits parallel registrations from many /64s of one /48, creating no account past the limit', async () => {
    const emails = Array.from({ length: 10 }, () => uniqueEmail('swarm'));
    const results = await Promise.all(emails.map((email, i) => register(`2001:db8:20:${i + 1}::1`, email)));
    const statuses = results.map((res) => res.status).sort();
    expect(statuses).toEqual([...Array(6).fill(201), ...Array(4).fill(429)]);
    for (const res of results.filter((r) => r.status === 429)) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await usersNamed(emails)).toBe(6);
    // Another /48 is another network.
    await register('2001:db8:21:1::1').expect(201);
  });

  it('counts the global per-minute limit per client over all routes, not per route', async () => {
    const client = '198.51.100.30';
    const routes = ['/api/v1/categories', '/api/v1/products/no-such-product'];
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      statuses.push((await request(t.http).get(routes[i % 2]).set('X-Forwarded-For', client)).status);
    }
    expect(statuses.filter((status) => status === 429)).toEqual([]);
    // A third route, never called before by this client, is already over the client's minute.
    const res = await request(t.http).post('/api/v1/auth/refresh').set('X-Forwarded-For', client).send({ refreshToken: 'x' }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.http).get('/health').set('X-Forwarded-For', client).expect(200);
    await request(t.http).get('/api/v1/categories').set('X-Forwarded-For', '198.51.100.31').expect(200);
  });

  it('limits each payment webhook per client with its own limit, outside the global one', async () => {
    const deliver = (path: string, from: string) =>
      request(t.http).post(`/api/v1/payments/${path}`).set('X-Forwarded-For', from).set('Content-Type', 'application/json').send('{}');
    for (const path of ['webhook', 'paypal/webhook']) {
      const client = path === 'webhook' ? '198.51.100.40' : '198.51.100.41';
      for (let i = 0; i < 3; i += 1) expect((await deliver(path, client)).status).not.toBe(429);
      const limited = await deliver(path, client).expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await deliver(path, '198.51.100.42')).status).not.toBe(429);
    }
    // The other webhook counts on its own, and the deliveries took nothing from the global limit.
    expect((await deliver('paypal/webhook', '198.51.100.40')).status).not.toBe(429);
    for (let i = 0; i < 29; i += 1) await request(t.http).get('/api/v1/categories').set('X-Forwarded-For', '198.51.100.40').expect(200);
  });

  it('locks a guessing client out of an account without locking the owner out of it', async () => {
    const email = uniqueEmail('owner');
    await register('2001:db8:30:1::1', email).expect(201);
    for (const attacker of ['2001:db8:31:1::1', '2001:db8:32:1::1']) {
      for (let i = 0; i < 5; i += 1) await login(attacker, email, 'guess').expect(401);
      const locked = await login(attacker, email, password).expect(429);
      expect(locked.body.message).toMatch(/account/);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      // Going on while refused raises no count anywhere.
      for (let i = 0; i < 10; i += 1) await login(attacker, email, 'guess').expect(429);
    }
    await login('2001:db8:30:1::2', email, password).expect(200);
  });

  it('keeps a per-email ceiling over all clients together', async () => {
    const email = uniqueEmail('ceiling');
    await register('2001:db8:40:1::1', email).expect(201);
    // 5 + 5 + 2 failures from three clients reach the ceiling of 12.
    for (const [attacker, failures] of [['2001:db8:41:1::1', 5], ['2001:db8:42:1::1', 5], ['2001:db8:43:1::1', 2]] as const) {
      for (let i = 0; i < failures; i += 1) await login(attacker, email, 'guess').expect(401);
    }
    await login('2001:db8:44:1::1', email, 'guess').expect(429);
    const owner = await login('2001:db8:40:1::1', email, password).expect(429);
    expect(owner.body.message).toMatch(/account/);
  });
});
