import express from 'express';
import type Redis from 'ioredis';
import request from 'supertest';
import { SessionsService } from '../src/access/sessions.service';
import { AppConfig } from '../src/config/app-config';
import { QueueDashboardAccess } from '../src/queue-dashboard/queue-dashboard-access';
import { REDIS } from '../src/redis/redis.module';
import { UsersService } from '../src/users/users.service';
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

  const newLink = async (account: Account = admin): Promise<string> =>
    (await request(t.http).post('/api/v1/admin/queue-dashboard/links').set(...bearer(account)).expect(201)).body.url;
  const cookieFrom = (res: request.Response): string => (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];

  it('opens a link once: a second use is refused, also when both arrive at the same time', async () => {
    const url = await newLink();
    await request(t.http).get(url).expect(303);
    const reused = await request(t.http).get(url).expect(401);
    expect(reused.headers['set-cookie']).toBeUndefined();

    const raced = await newLink();
    const statuses = await Promise.all(Array.from({ length: 8 }, () => request(t.http).get(raced).then((res) => res.status)));
    expect(statuses.sort()).toEqual([303, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('tells tickets and cookies apart: a cookie value is no ticket, a ticket no cookie', async () => {
    const url = await newLink();
    const session = cookieFrom(await request(t.http).get(url).expect(303));
    const cookieValue = session.split('=')[1];
    const minted = await request(t.http).get(`${DASHBOARD}?ticket=${cookieValue}`).expect(401);
    expect(minted.headers['set-cookie']).toBeUndefined();

    const unused = new URL(await newLink(), 'http://shop.test').searchParams.get('ticket')!;
    await request(t.http).get(DASHBOARD).set('Cookie', `queue_dashboard=${unused}`).expect(401);
    // The ticket was not spent by that attempt: it still opens the dashboard once.
    await request(t.http).get(`${DASHBOARD}?ticket=${unused}`).expect(303);
  });

  it('serves the dashboard page under a Content-Security-Policy that its markup keeps to', async () => {
    const page = await request(t.http).get(DASHBOARD).set(...bearer(admin)).expect(200);
    const policy = Object.fromEntries(
      (page.headers['content-security-policy'] as string).split(';').map((directive) => {
        const [name, ...values] = directive.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(policy).toMatchObject({ 'default-src': ["'none'"], 'script-src': ["'self'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'self'"] });
    // No script the policy would block: every script is loaded from the origin or is inert JSON.
    const scripts = [...(page.text as string).matchAll(/<script\b([^>]*)>/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/\bsrc="static\/|type="application\/json"/);
    expect(page.text).not.toMatch(/\son[a-z]+="/);
  });

  it('marks the cookie Secure in production even when the request reached the app over plain HTTP (TLS ended at a proxy)', async () => {
    const config = t.app.get(AppConfig);
    const production = { get: (key: string) => (key === 'NODE_ENV' ? 'production' : config.get(key as never)) } as AppConfig;
    const access = new QueueDashboardAccess(production, t.app.get(SessionsService), t.app.get(UsersService), t.app.get<Redis>(REDIS));
    const server = express().use(access.middleware, (_req, res) => res.send('dashboard'));
    const session = await login(t, ADMIN.email, ADMIN.password);
    const { sub, sid } = JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString()) as { sub: string; sid: string };
    const { url } = await access.issueLink(sub, sid);
    const opened = await request(server).get(url).expect(303);
    expect(opened.headers['set-cookie'][0]).toMatch(/;\s*Secure/i);
    // Outside production a plain HTTP request keeps it off, so local development still works.
    const local = await request(t.http).get(await newLink()).expect(303);
    expect(local.headers['set-cookie'][0]).not.toMatch(/;\s*Secure/i);
  });
});
