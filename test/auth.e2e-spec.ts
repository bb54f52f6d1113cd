import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import jwt from 'jsonwebtoken';
import type Redis from 'ioredis';
import type { JobName, QueueName } from '../src/jobs/job.registry';
import type { PasswordResetJob } from '../src/notifications/mail.types';
import { SessionsService } from '../src/access/sessions.service';
import { PasswordHasher } from '../src/auth/password-hasher';
import { PasswordResetProcessor } from '../src/auth/password-reset/password-reset.processor';
import { UsersService } from '../src/users/users.service';
import { REDIS } from '../src/redis/redis.module';
import request from 'supertest';
import { Account, bearer, login, registerCustomer, uniqueEmail } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { waitForFinishedJobs } from './support/jobs';
import { createTestApp, TestApp } from './support/test-app';

describe('Auth (register, login, tokens, sessions, password reset)', () => {
  let t: TestApp;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    // The API process runs the queue worker here, so reset emails really go out over SMTP.
    t = await createTestApp({ env: { RUN_WORKER_IN_API: 'true' } });
  });
  afterAll(() => t?.close());

  const users = () => t.connection.collection('users');

  describe('register', () => {
    it('creates a customer, lower-cases the email and never returns the hash', async () => {
      const email = uniqueEmail('Mixed').replace('mixed', 'MiXeD');
      const res = await request(t.http)
        .post('/api/v1/auth/register')
        .send({ email, password: 'long enough pw', name: '  Ada  ' })
        .expect(201);
      expect(res.body.user).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        email: email.toLowerCase(),
        emailVerified: false,
        name: 'Ada',
        role: 'customer',
        createdAt: expect.any(String),
      });
      expect(res.body.accessToken.split('.')).toHaveLength(3);
      expect(res.body.refreshToken).toEqual(expect.any(String));
      expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|argon2/);
      const stored = await users().findOne({ email: email.toLowerCase() });
      expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    });

    it('answers a taken email in any case with 409 and creates nothing', async () => {
      const account = await registerCustomer(t);
      const res = await request(t.http)
        .post('/api/v1/auth/register')
        .send({ email: account.email.toUpperCase(), password: 'another password', name: 'Copy' })
        .expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      expect(await users().countDocuments({ email: account.email })).toBe(1);
    });

    it.each([
      ['an unknown field', { role: 'admin' }],
      ['a short password', { password: 'short' }],
      ['an oversized name', { name: 'x'.repeat(101) }],
      ['an oversized password', { password: 'x'.repeat(129) }],
      ['a malformed email', { email: 'not-an-email' }],
      ['an operator object as email', { email: { $ne: null } }],
      ['a number as name', { name: 42 }],
    ])('rejects %s with 400 and creates nothing', async (_label, override) => {
      const before = await users().countDocuments();
      const body = { email: uniqueEmail(), password: 'long enough pw', name: 'Valid', ...override };
      const res = await request(t.http).post('/api/v1/auth/register').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(Array.isArray(res.body.message)).toBe(true);
      expect(await users().countDocuments()).toBe(before);
    });
  });

  describe('login', () => {
    let account: Account;
    beforeAll(async () => {
      account = await registerCustomer(t, 'login');
    });

    it('signs in with the email in any case', async () => {
      const res = await request(t.http)
        .post('/api/v1/auth/login')
        .send({ email: account.email.toUpperCase(), password: account.password })
        .expect(200);
      expect(res.body.user.id).toBe(account.id);
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
    });

    it('gives the same 401 for an unknown email and a wrong password', async () => {
      const wrong = await request(t.http).post('/api/v1/auth/login').send({ email: account.email, password: 'wrong password' }).expect(401);
      const unknown = await request(t.http).post('/api/v1/auth/login').send({ email: uniqueEmail(), password: 'wrong password' }).expect(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' });
    });

    it.each([
      [{ email: { $ne: null }, password: 'whatever1' }],
      [{ email: { $gt: '' }, password: { $ne: null } }],
      [{ email: 'a@b.test', password: { $ne: null } }],
    ])('refuses operator injection %j with 400, never a login', async (body) => {
      const res = await request(t.http).post('/api/v1/auth/login').send(body).expect(400);
      expect(res.body.accessToken).toBeUndefined();
    });
  });

  describe('access tokens', () => {
    let account: Account;
    let claims: { sub: string; sid: string; role: string };
    beforeAll(async () => {
      account = await registerCustomer(t, 'tokens');
      claims = jwt.decode(account.accessToken) as typeof claims;
    });

    it('returns the caller on /auth/me', async () => {
      const res = await request(t.http).get('/api/v1/auth/me').set(...bearer(account)).expect(200);
      expect(res.body).toEqual({ id: account.id, email: account.email, emailVerified: false, name: 'tokens', role: 'customer', createdAt: expect.any(String) });
    });

    it('carries user id, role and session id, signed with HS256 and short-lived', () => {
      const header = JSON.parse(Buffer.from(account.accessToken.split('.')[0], 'base64url').toString());
      expect(header.alg).toBe('HS256');
      const decoded = jwt.decode(account.accessToken) as { sub: string; role: string; sid: string; exp: number; iat: number };
      expect(decoded).toMatchObject({ sub: account.id, role: 'customer', sid: expect.any(String) });
      expect(decoded.exp - decoded.iat).toBe(900);
    });

    it('rejects a request without a token', async () => {
      const res = await request(t.http).get('/api/v1/auth/me').expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    it('rejects an unsigned token (alg: none)', async () => {
      const unsigned = jwt.sign({ ...claims, role: 'admin' }, '', { algorithm: 'none' });
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${unsigned}`).expect(401);
      await request(t.http).get('/api/v1/admin/users').set('Authorization', `Bearer ${unsigned}`).expect(401);
    });

    it('rejects a token signed with another secret', async () => {
      const forged = jwt.sign({ sub: claims.sub, sid: claims.sid, role: 'admin' }, 'x'.repeat(64), { algorithm: 'HS256' });
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${forged}`).expect(401);
    });

    it('rejects an expired token', async () => {
      const expired = jwt.sign(
        { sub: claims.sub, sid: claims.sid, role: claims.role, exp: Math.floor(Date.now() / 1000) - 60 },
        t.env.JWT_ACCESS_SECRET,
        { algorithm: 'HS256' },
      );
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${expired}`).expect(401);
    });

    it('rejects a well-signed token whose session does not exist', async () => {
      const orphan = jwt.sign({ sub: claims.sub, sid: '00000000-0000-4000-8000-000000000000', role: 'customer' }, t.env.JWT_ACCESS_SECRET, {
        algorithm: 'HS256',
        expiresIn: 60,
      });
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${orphan}`).expect(401);
    });
  });

  describe('refresh and logout', () => {
    it('rotates: the new pair works and the old refresh token does not', async () => {
      const account = await registerCustomer(t, 'rotate');
      const res = await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String) });
      expect(res.body.refreshToken).not.toBe(account.refreshToken);
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.accessToken}`).expect(200);
      const second = await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: res.body.refreshToken }).expect(200);
      expect(second.body.refreshToken).not.toBe(res.body.refreshToken);
    });

    it('never extends a session: refreshing keeps the expiry set at login', async () => {
      const account = await registerCustomer(t, 'lifetime');
      const { sid } = jwt.decode(account.accessToken) as { sid: string };
      const redis = t.app.get<Redis>(REDIS);
      const before = await redis.pttl(`session:${sid}`);
      expect(before).toBeGreaterThan(29 * 24 * 3600 * 1000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(200);
      const after = await redis.pttl(`session:${sid}`);
      expect(after).toBeLessThanOrEqual(before);
      // The used hashes end with the session, at the same instant.
      const sessionEnds = await redis.pexpiretime(`session:${sid}`);
      expect(sessionEnds).toBeGreaterThan(Date.now());
      expect(await redis.pexpiretime(`session:${sid}:used`)).toBe(sessionEnds);
    });

    it('treats a reused refresh token as theft and ends the whole session', async () => {
      const account = await registerCustomer(t, 'theft');
      const rotated = await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(200);

      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(401);

      // Every token of that session is dead now, including the legitimately rotated ones.
      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: rotated.body.refreshToken }).expect(401);
      await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${rotated.body.accessToken}`).expect(401);
      await request(t.http).get('/api/v1/auth/me').set(...bearer(account)).expect(401);
    });

    it('lets only one of several simultaneous refreshes with the same token succeed', async () => {
      const account = await registerCustomer(t, 'race');
      const results = await Promise.all(
        Array.from({ length: 8 }, () => request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken })),
      );
      expect(results.filter((res) => res.status === 200)).toHaveLength(1);
      expect(results.filter((res) => res.status === 401)).toHaveLength(7);
    });

    it('keeps other sessions of the same user alive when one is stolen', async () => {
      const account = await registerCustomer(t, 'two-devices');
      const laptop = await login(t, account.email, account.password);
      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(200);
      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(401);
      await request(t.http).get('/api/v1/auth/me').set(...bearer(laptop)).expect(200);
    });

    it.each([['garbage'], ['a.b'], ['00000000-0000-4000-8000-000000000000.' + 'A'.repeat(43)], ['']])(
      'rejects the refresh token %j',
      async (refreshToken) => {
        const res = await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken });
        expect([400, 401]).toContain(res.status);
      },
    );

    it('logout ends the access and refresh tokens of that session at once', async () => {
      const account = await registerCustomer(t, 'logout');
      await request(t.http).post('/api/v1/auth/logout').set(...bearer(account)).expect(204);
      await request(t.http).get('/api/v1/auth/me').set(...bearer(account)).expect(401);
      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(401);
      await request(t.http).post('/api/v1/auth/logout').set(...bearer(account)).expect(401);
    });
  });

  describe('password reset', () => {
    const resetJobsFor = (email: string, count: number) =>
      waitForFinishedJobs(
        t.app.get<Queue<PasswordResetJob>>(getQueueToken('mail' satisfies QueueName)),
        (job) => job.name === ('password-reset' satisfies JobName) && job.data.email === email,
        count,
      );

    it('answers 202 for an unknown email and sends nothing', async () => {
      const email = uniqueEmail('nobody');
      await request(t.http).post('/api/v1/auth/password/forgot').send({ email }).expect(202);
      // The job is done once it reports its outcome; any email it sent would be in MailDev by then.
      const [job] = await resetJobsFor(email, 1);
      expect(job.returnvalue).toBe('no-account');
      expect(await mailbox.emailsTo(email)).toHaveLength(0);
    });

    it('emails a single-use token that sets the password and signs out every session', async () => {
      // Whatever a stranger types as the account name must not travel in the shop's own email.
      const phishing = 'Your card is blocked, call 555-0100 now';
      const account = await registerCustomer(t, 'forgetful', phishing);
      const otherDevice = await login(t, account.email, account.password);

      await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email.toUpperCase() }).expect(202);
      const [email] = await mailbox.waitForEmails(account.email);
      expect(email.subject).toBe('Reset your password');
      expect(email.text).not.toContain('555-0100');
      // In the fragment, never the query string: a fragment reaches no server log and no Referer.
      const link = /https?:\/\/\S+\/reset-password#token=([\w-]+)/.exec(email.text);
      expect(link).not.toBeNull();
      expect(email.text).not.toMatch(/\?token=/);
      const token = link![1];

      await request(t.http).post('/api/v1/auth/password/reset').send({ token, password: 'brand new secret' }).expect(204);

      await request(t.http).get('/api/v1/auth/me').set(...bearer(account)).expect(401);
      await request(t.http).get('/api/v1/auth/me').set(...bearer(otherDevice)).expect(401);
      await request(t.http).post('/api/v1/auth/login').send({ email: account.email, password: account.password }).expect(401);
      await login(t, account.email, 'brand new secret');

      const reused = await request(t.http).post('/api/v1/auth/password/reset').send({ token, password: 'attacker pw 123' }).expect(400);
      expect(reused.body.message).toMatch(/invalid or has expired/);
      await login(t, account.email, 'brand new secret');
      expect(await mailbox.emailsTo(account.email)).toHaveLength(1);
    });

    it('voids every other outstanding reset token once one is used, and keeps tokens out of queued jobs', async () => {
      const account = await registerCustomer(t, 'two-requests');
      await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email }).expect(202);
      await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email }).expect(202);
      const emails = await mailbox.waitForEmails(account.email, 2);
      const [first, second] = emails.map((email) => /token=([\w-]+)/.exec(email.text)![1]);
      expect(first).not.toBe(second);

      const queue = t.app.get<Queue>(getQueueToken('mail' satisfies QueueName));
      const jobs = await queue.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed']);
      expect(jobs.length).toBeGreaterThan(0);
      expect(JSON.stringify(jobs.map((job) => job.data))).not.toContain(first);

      await request(t.http).post('/api/v1/auth/password/reset').send({ token: second, password: 'second new pw' }).expect(204);
      await request(t.http).post('/api/v1/auth/password/reset').send({ token: first, password: 'first new pw!' }).expect(400);
      await login(t, account.email, 'second new pw');
    });

    it('sends at most 3 reset emails per account and hour, answering 202 every time', async () => {
      const account = await registerCustomer(t, 'impatient');
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email })),
      );
      expect(answers.map((res) => res.status)).toEqual(Array(6).fill(202));
      const jobs = await resetJobsFor(account.email, 6);
      expect(jobs.map((job) => job.returnvalue).sort()).toEqual(['rate-limited', 'rate-limited', 'rate-limited', 'sent', 'sent', 'sent']);
      expect(await mailbox.emailsTo(account.email)).toHaveLength(3);
    });

    it('counts reset jobs in arrival order, even when job "10" arrives in the same millisecond as job "9"', async () => {
      const account = await registerCustomer(t, 'same-millisecond');
      const processor = t.app.get(PasswordResetProcessor);
      // Ids that sort differently as text than as numbers, all in one frozen millisecond.
      const clock = jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      const outcomes: string[] = [];
      try {
        for (const id of ['98', '99', '100', '101']) outcomes.push(await processor.handle({ email: account.email }, { id }));
      } finally {
        clock.mockRestore();
      }
      expect(outcomes).toEqual(['sent', 'sent', 'sent', 'rate-limited']);
    });

    it('leaves no session of the old password alive when logins race a reset', async () => {
      const account = await registerCustomer(t, 'racing');
      await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email }).expect(202);
      const [email] = await mailbox.waitForEmails(account.email);
      const token = /token=([\w-]+)/.exec(email.text)![1];

      const loginBody = { email: account.email, password: account.password };
      const [reset, ...logins] = await Promise.all([
        request(t.http).post('/api/v1/auth/password/reset').send({ token, password: 'after the race' }),
        ...Array.from({ length: 4 }, () => request(t.http).post('/api/v1/auth/login').send(loginBody)),
      ]);
      expect(reset.status).toBe(204);
      for (const login of logins) {
        expect([200, 401]).toContain(login.status);
        if (login.status === 200) {
          await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`).expect(401);
        }
      }
      await request(t.http).post('/api/v1/auth/login').send(loginBody).expect(401);
    });

    it('refuses a session for a generation revoked after the credentials were checked', async () => {
      const account = await registerCustomer(t, 'generation');
      const sessions = t.app.get(SessionsService);
      const users = t.app.get(UsersService);
      const checked = (await users.credentialsOf(account.id))!;
      // A reset lands between the login's check of the password and its new session.
      expect(await users.changePasswordHash(account.id, await t.app.get(PasswordHasher).hash('reset in between'))).toBe(true);
      expect(await sessions.create(account.id, 'customer', checked.sessionGeneration, account.email)).toBeNull();
      const now = (await users.credentialsOf(account.id))!.sessionGeneration;
      expect(now).toBe(checked.sessionGeneration + 1);
      expect(await sessions.create(account.id, 'customer', now, account.email)).not.toBeNull();
      await request(t.http).get('/api/v1/auth/me').set(...bearer(account)).expect(401);
    });

    it('rejects an unknown token and a short new password with 400', async () => {
      await request(t.http).post('/api/v1/auth/password/reset').send({ token: 'made-up', password: 'long enough pw' }).expect(400);
      await request(t.http).post('/api/v1/auth/password/reset').send({ token: 'made-up', password: 'short' }).expect(400);
    });
  });
});
