import request from 'supertest';
import { uniqueEmail } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

describe('Client address behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback', LOGIN_MAX_FAILURES_PER_IP: '3' } });
  });
  afterAll(() => t?.close());

  it('limits each forwarded client on its own, so one client cannot lock out the others', async () => {
    const fail = (clientIp: string) =>
      request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', clientIp)
        .send({ email: uniqueEmail('spray'), password: 'wrong password' });
    for (let i = 0; i < 3; i += 1) await fail('198.51.100.1').expect(401);
    await fail('198.51.100.1').expect(429);
    await fail('198.51.100.2').expect(401);
    // Addresses of one IPv6 /64 are one client.
    for (let i = 0; i < 3; i += 1) await fail(`2001:db8:1:2::${i + 1}`).expect(401);
    await fail('2001:db8:1:2::99').expect(429);
    await fail('2001:db8:1:3::1').expect(401);
  });
});
