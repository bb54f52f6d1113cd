import request from 'supertest';
import { bearer, registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { createTestApp, TestApp } from './support/test-app';

/** Registration's verification email through the real queue, worker, ledger and MailDev. */
describe('Email verification', () => {
  let t: TestApp;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    t = await createTestApp({ env: { RUN_WORKER_IN_API: 'true' } });
  });
  afterAll(() => t?.close());

  const me = async (accessToken: string) =>
    (await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200)).body;
  const tokenOf = (text: string) => /\/verify-email#token=([\w-]+)/.exec(text)?.[1];

  it('emails a single-use token on registration that marks the address verified', async () => {
    const account = await registerCustomer(t, 'verify-me', 'Call 555-0100 now');
    expect((await me(account.accessToken)).emailVerified).toBe(false);

    const [email] = await mailbox.waitForVerificationEmails(account.email);
    expect(email.text).not.toContain('555-0100');
    expect(email.text).not.toMatch(/\?token=/);
    const token = tokenOf(email.text);
    expect(token).toBeDefined();

    await request(t.http).post('/api/v1/auth/email/verify').send({ token }).expect(204);
    expect((await me(account.accessToken)).emailVerified).toBe(true);
    const login = await request(t.http).post('/api/v1/auth/login').send({ email: account.email, password: account.password }).expect(200);
    expect(login.body.user.emailVerified).toBe(true);

    const reused = await request(t.http).post('/api/v1/auth/email/verify').send({ token }).expect(400);
    expect(reused.body.message).toMatch(/invalid, expired or already used/);
  });

  it('refuses a made-up token and a missing one with 400, changing nothing', async () => {
    const account = await registerCustomer(t, 'made-up');
    await request(t.http).post('/api/v1/auth/email/verify').send({ token: 'made-up-token' }).expect(400);
    await request(t.http).post('/api/v1/auth/email/verify').send({}).expect(400);
    expect((await me(account.accessToken)).emailVerified).toBe(false);
  });

  it('resends at most 5 times an hour, however many ask at once, then 429 with Retry-After', async () => {
    const account = await registerCustomer(t, 'resender');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => request(t.http).post('/api/v1/auth/email/verify/resend').set(...bearer(account))),
    );
    expect(answers.map((res) => res.status).sort()).toEqual([202, 202, 202, 202, 202, 429, 429, 429]);
    const refused = answers.find((res) => res.status === 429)!;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);

    // Registration's email and the five resends; any of them verifies, and then the others are void.
    const emails = await mailbox.waitForVerificationEmails(account.email, 6, 30_000);
    const tokens = emails.map((email) => tokenOf(email.text));
    expect(new Set(tokens).size).toBe(6);
    await request(t.http).post('/api/v1/auth/email/verify').send({ token: tokens[3] }).expect(204);
    await request(t.http).post('/api/v1/auth/email/verify').send({ token: tokens[0] }).expect(400);
    expect((await me(account.accessToken)).emailVerified).toBe(true);
  });

  it('needs a login to resend', async () => {
    await request(t.http).post('/api/v1/auth/email/verify/resend').expect(401);
  });

  it('counts accounts made before verification existed as unverified', async () => {
    const account = await registerCustomer(t, 'legacy');
    await t.connection.collection('users').updateOne({ email: account.email }, { $unset: { emailVerified: '' } });
    expect((await me(account.accessToken)).emailVerified).toBe(false);
  });
});
