import jwt from 'jsonwebtoken';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { sha256 } from '../src/access/sessions.service';
import { UsersService } from '../src/users/users.service';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { RedisLosingWrites } from './support/redis-losing-writes';
import { createTestApp, TestApp } from './support/test-app';

const ADMIN = { email: 'sessions-rollback-admin@example.test', password: 'sessions rollback admin pw' };

/**
 * What ends sign-ins (a new password, another role) is written to the user in MongoDB with the
 * session generation, and every rotation of a refresh token is counted there; the deletes and
 * rotations in Redis can be lost (RedisLosingWrites). A session Redis brings back keeps only its
 * access tokens, which expire within JWT_ACCESS_TTL_SECONDS of their issue: it can no longer be
 * refreshed.
 */
describe('Sessions after Redis lost its last writes', () => {
  const mailbox = new Mailbox();
  let redis: RedisLosingWrites;
  let t: TestApp;
  let admin: Account;

  beforeAll(async () => {
    redis = await RedisLosingWrites.start();
    // The API process runs the queue worker here, so reset emails really go out over SMTP.
    t = await createTestApp({ env: { REDIS_URL: redis.url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, RUN_WORKER_IN_API: 'true' } });
    admin = await login(t, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  /** Whether Redis holds the login session the account's tokens are of. */
  const sessionHeld = async (account: Account) => {
    const { sid } = jwt.decode(account.accessToken) as { sid: string };
    return (await (await redis.connected()).exists(`${t.env.REDIS_KEY_PREFIX}:session:${sid}`)) === 1;
  };
  const refresh = (account: Account) => request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken });
  const setRole = (account: Account, role: string) => request(t.http).patch(`/api/v1/admin/users/${account.id}`).set(...bearer(admin)).send({ role }).expect(200);

  it('a demoted admin whose admin session Redis brought back can neither use nor refresh it', async () => {
    const registered = await registerCustomer(t, 'rollback-staff');
    await setRole(registered, 'admin');
    const staff = await login(t, registered.email, registered.password);
    const secondDevice = await login(t, registered.email, registered.password);
    const dashboardDevice = await login(t, registered.email, registered.password);
    await request(t.http).get('/api/v1/admin/users').set(...bearer(staff)).expect(200);
    await request(t.http).get('/api/v1/admin/queues/api/queues').set(...bearer(dashboardDevice)).expect(200);
    await redis.snapshot();

    await setRole(staff, 'customer');
    await request(t.http).get('/api/v1/admin/users').set(...bearer(staff)).expect(401);
    await redis.loseWritesSinceSnapshot(t);

    // Redis holds both admin sessions again, as if the demotion had not ended them; their access
    // tokens have not expired. Admin routes go by the role stored with the user.
    expect(await sessionHeld(staff)).toBe(true);
    expect((await request(t.http).get('/api/v1/admin/users').set(...bearer(staff)).expect(401)).body.message).toMatch(/Session has ended/);
    expect(await sessionHeld(staff)).toBe(false);
    // A refresh reads the user's generation before it rotates.
    expect(await sessionHeld(secondDevice)).toBe(true);
    expect((await refresh(secondDevice)).status).toBe(401);
    expect(await sessionHeld(secondDevice)).toBe(false);
    await request(t.http).get('/api/v1/admin/users').set(...bearer(secondDevice)).expect(401);
    // So does the queue dashboard.
    expect(await sessionHeld(dashboardDevice)).toBe(true);
    await request(t.http).get('/api/v1/admin/queues/api/queues').set(...bearer(dashboardDevice)).expect(401);
    expect(await sessionHeld(dashboardDevice)).toBe(false);

    const again = await login(t, staff.email, staff.password);
    await request(t.http).get('/api/v1/admin/users').set(...bearer(again)).expect(403);
    expect((await refresh(again)).status).toBe(200);
  });

  it('a password reset stays done: its link cannot be used again and the sessions it ended stay ended', async () => {
    const account = await registerCustomer(t, 'rollback-reset');
    const otherDevice = await login(t, account.email, account.password);
    await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email }).expect(202);
    const [email] = await mailbox.waitForEmails(account.email);
    const token = /token=([\w-]+)/.exec(email.text)![1];
    // Stored as the version before stored it (the user id alone), which its processes still read.
    expect(await (await redis.connected()).get(`${t.env.REDIS_KEY_PREFIX}:password-reset:${sha256(token)}`)).toBe(account.id);
    await redis.snapshot();

    await request(t.http).post('/api/v1/auth/password/reset').send({ token, password: 'owner new password' }).expect(204);
    await redis.loseWritesSinceSnapshot(t);

    // Redis holds the link and both sessions of the old password again.
    for (const session of [account, otherDevice]) {
      expect(await sessionHeld(session)).toBe(true);
      expect((await refresh(session)).status).toBe(401);
    }
    const reused = await request(t.http).post('/api/v1/auth/password/reset').send({ token, password: 'whoever has the link' }).expect(400);
    expect(reused.body.message).toMatch(/invalid or has expired/);
    await request(t.http).post('/api/v1/auth/login').send({ email: account.email, password: 'whoever has the link' }).expect(401);
    await login(t, account.email, 'owner new password');
  });

  it('a refresh token rotated away before the loss is a used token when it comes back: the session ends', async () => {
    const account = await registerCustomer(t, 'rollback-rotated');
    const session = await login(t, account.email, account.password);
    await redis.snapshot();
    await refresh(session).expect(200);
    await redis.loseWritesSinceSnapshot(t);

    // Redis holds the first refresh token as current again; the rotation to the second is recorded outside it.
    expect(await sessionHeld(session)).toBe(true);
    const reused = await refresh(session).expect(401);
    expect(reused.body.message).toMatch(/already used/);
    expect(await sessionHeld(session)).toBe(false);
    // A new login rotates as before.
    const again = await login(t, account.email, account.password);
    const next = (await refresh(again).expect(200)).body as { refreshToken: string };
    await refresh({ ...again, refreshToken: next.refreshToken }).expect(200);
  });

  it('a session ended by its logout, or by a copied token, stays ended when Redis brings it back', async () => {
    const account = await registerCustomer(t, 'rollback-logout');
    const loggedOut = await login(t, account.email, account.password);
    const copied = await login(t, account.email, account.password);
    const rotated = { ...copied, ...((await refresh(copied).expect(200)).body as { accessToken: string; refreshToken: string }) };
    await redis.snapshot();

    await request(t.http).post('/api/v1/auth/logout').set(...bearer(loggedOut)).expect(204);
    // The first token of `copied` again: the rotation's Redis check takes it for a copy and ends the session.
    expect((await refresh(copied).expect(401)).body.message).toMatch(/already used/);
    await redis.loseWritesSinceSnapshot(t);

    // Redis holds both sessions again, each with its then current refresh token.
    for (const session of [loggedOut, rotated]) {
      expect(await sessionHeld(session)).toBe(true);
      await refresh(session).expect(401);
      expect(await sessionHeld(session)).toBe(false);
    }
  });

  it('sessions, accounts and reset links made before session generations work as before', async () => {
    const account = await registerCustomer(t, 'rollback-older');
    const users = t.connection.collection('users');
    await users.updateOne({ email: account.email }, { $unset: { sessionGeneration: '' } });
    const prefix = `${t.env.REDIS_KEY_PREFIX}:`;
    const raw = await redis.connected();

    // A session as the version before wrote it: no generation, no count of rotations.
    const sessionId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const fields = { userId: account.id, role: 'customer', refreshHash: sha256(secret), createdAt: new Date().toISOString(), email: account.email };
    await raw.multi().hset(`${prefix}session:${sessionId}`, fields).expire(`${prefix}session:${sessionId}`, 3600).sadd(`${prefix}user-sessions:${account.id}`, sessionId).exec();
    const older = { ...account, refreshToken: `${sessionId}.${secret}` };
    const next = { ...older, ...((await refresh(older).expect(200)).body as { refreshToken: string }) };
    await refresh(next).expect(200);

    // A reset by a link issued to the account without a generation (read as 0); and an address
    // book saved from the user as read before it keeps the reset's generation.
    const usersService = t.app.get(UsersService);
    const readBefore = await usersService.getById(account.id);
    await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email }).expect(202);
    const [email] = await mailbox.waitForEmails(account.email);
    await request(t.http).post('/api/v1/auth/password/reset').send({ token: /token=([\w-]+)/.exec(email.text)![1], password: 'older account pw' }).expect(204);
    readBefore.addresses.push({ fullName: 'Older Owner', line1: '1 Old Road', city: 'Berlin', postalCode: '10115', country: 'DE' } as never);
    await usersService.saveAddressBook(readBefore);
    expect(await users.findOne({ email: account.email })).toMatchObject({ sessionGeneration: 1, addresses: [expect.objectContaining({ fullName: 'Older Owner' })] });

    // A reset link as the version before stored it: the user id alone.
    const token = randomBytes(32).toString('base64url');
    await raw.multi().set(`${prefix}password-reset:${sha256(token)}`, account.id, 'EX', 600).sadd(`${prefix}password-reset-user:${account.id}`, sha256(token)).exec();
    await request(t.http).post('/api/v1/auth/password/reset').send({ token, password: 'newest account pw' }).expect(204);
    expect((await users.findOne({ email: account.email }))?.sessionGeneration).toBe(2);
    await login(t, account.email, 'newest account pw');
  });
});
