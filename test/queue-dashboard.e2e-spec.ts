import request from 'supertest';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { killProcessesLeftRunning, runBuilt } from './support/node-process';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const ADMIN = { email: 'queue-admin@example.test', password: 'queue admin pw' };
const DASHBOARD = '/api/v1/admin/queues';

/** Bull Board behind admin authority: bearer token for API clients, signed link + cookie for browsers. */
describe('Queue dashboard', () => {
  let t: TestApp;
  let admin: Account;
  let customer: Account;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    admin = await login(t, ADMIN.email, ADMIN.password);
    customer = await registerCustomer(t, 'queue-peeker');
  });
  afterAll(() => t.close());

  it.each([[DASHBOARD], [`${DASHBOARD}/api/queues`]])('answers %s with 401 without a token, 403 for a customer, 200 for an admin', async (path) => {
    const anonymous = await request(t.http).get(path).expect(401);
    expect(anonymous.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    await request(t.http).get(path).set('Authorization', 'Bearer not-a-token').expect(401);
    const forbidden = await request(t.http).get(path).set(...bearer(customer)).expect(403);
    expect(forbidden.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    await request(t.http).get(path).set(...bearer(admin)).expect(200);
  });

  it('lists every queue of the registry to an admin', async () => {
    const res = await request(t.http).get(`${DASHBOARD}/api/queues`).set(...bearer(admin)).expect(200);
    expect(res.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(['backups', 'mail', 'orders', 'webhooks']);
  });

  it('shows a failed scheduled backup, with its error, in the backups queue', async () => {
    // A worker whose object storage is unreachable: every scheduled backup fails.
    const worker = runBuilt('worker.js', { ...t.env, BACKUP_CRON: '* * * * * *', S3_ENDPOINT: 'http://127.0.0.1:9' });
    const failedBackups = async (): Promise<Array<Record<string, unknown>>> => {
      const res = await request(t.http)
        .get(`${DASHBOARD}/api/queues?activeQueue=backups&status=latest&page=1&jobsPerPage=10`)
        .set(...bearer(admin))
        .expect(200);
      const backups = res.body.queues.find((queue: { name: string }) => queue.name === 'backups');
      return (backups.jobs as Array<Record<string, unknown>>).filter((job) => job.isFailed);
    };
    try {
      await waitFor(async () => (await failedBackups()).length > 0, 'a failed backup in the dashboard', 60_000);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exit;
      killProcessesLeftRunning();
    }
    const [failed] = await failedBackups();
    expect(failed).toMatchObject({ name: 'scheduled-backup', failedReason: expect.any(String), attempts: expect.any(Number) });
    expect(failed.attempts).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('gives an admin a short-lived link that opens the dashboard in a browser through a session cookie', async () => {
    await request(t.http).post('/api/v1/admin/queue-dashboard/links').expect(401);
    await request(t.http).post('/api/v1/admin/queue-dashboard/links').set(...bearer(customer)).expect(403);
    const link = await request(t.http).post('/api/v1/admin/queue-dashboard/links').set(...bearer(admin)).expect(201);
    expect(link.body.url).toMatch(/^\/api\/v1\/admin\/queues\?ticket=/);
    expect(new Date(link.body.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const opened = await request(t.http).get(link.body.url).expect(303);
    expect(opened.headers.location).toBe(DASHBOARD);
    const cookie = opened.headers['set-cookie'][0] as string;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/api\/v1\/admin\/queues/);
    const session = cookie.split(';')[0];

    await request(t.http).get(DASHBOARD).set('Cookie', session).expect(200);
    await request(t.http).get(`${DASHBOARD}/api/queues`).set('Cookie', session).expect(200);
    // The cookie is no access token for the rest of the API.
    await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${session.split('=')[1]}`).expect(401);
  });

  it('refuses a forged ticket or cookie, and an admin link and cookie once that admin logged out', async () => {
    await request(t.http).get(`${DASHBOARD}?ticket=forged.ticket.value`).expect(401);
    await request(t.http).get(DASHBOARD).set('Cookie', 'queue_dashboard=forged').expect(401);

    const leaving = await login(t, ADMIN.email, ADMIN.password);
    const link = await request(t.http).post('/api/v1/admin/queue-dashboard/links').set(...bearer(leaving)).expect(201);
    const session = (await request(t.http).get(link.body.url).expect(303)).headers['set-cookie'][0].split(';')[0];
    await request(t.http).get(DASHBOARD).set('Cookie', session).expect(200);
    await request(t.http).post('/api/v1/auth/logout').set(...bearer(leaving)).expect(204);
    await request(t.http).get(DASHBOARD).set('Cookie', session).expect(401);
    await request(t.http).get(link.body.url).expect(401);
  });
});
