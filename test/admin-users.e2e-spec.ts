import request from 'supertest';
import { AdminBootstrapService } from '../src/auth/admin-bootstrap.service';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

const ADMIN_EMAIL = 'Root.Admin@Example.test';
const ADMIN_PASSWORD = 'initial admin password';

describe('Admin user management and the first admin', () => {
  let t: TestApp;
  let admin: Account;
  let customer: Account;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL, ADMIN_PASSWORD } });
    admin = await login(t, ADMIN_EMAIL, ADMIN_PASSWORD);
    customer = await registerCustomer(t, 'plain');
  });
  afterAll(() => t?.close());

  it('creates the first admin from the environment, lower-cased', async () => {
    const me = await request(t.http).get('/api/v1/auth/me').set(...bearer(admin)).expect(200);
    expect(me.body).toMatchObject({ email: ADMIN_EMAIL.toLowerCase(), role: 'admin' });
  });

  it('never overwrites an existing admin account on a later start', async () => {
    const users = t.connection.collection('users');
    const before = await users.findOne({ email: ADMIN_EMAIL.toLowerCase() });
    await users.updateOne({ _id: before!._id }, { $set: { name: 'Renamed' } });
    await t.app.get(AdminBootstrapService).onApplicationBootstrap();
    const after = await users.findOne({ email: ADMIN_EMAIL.toLowerCase() });
    expect(after).toMatchObject({ name: 'Renamed', passwordHash: before!.passwordHash, role: 'admin' });
    expect(await users.countDocuments({ email: ADMIN_EMAIL.toLowerCase() })).toBe(1);
  });

  it('lists users page by page without password hashes', async () => {
    const res = await request(t.http).get('/api/v1/admin/users?page=1&limit=1').set(...bearer(admin)).expect(200);
    expect(res.body).toMatchObject({ page: 1, limit: 1, total: expect.any(Number) });
    expect(res.body.total).toBeGreaterThanOrEqual(2);
    expect(res.body.items).toHaveLength(1);
    expect(Object.keys(res.body.items[0]).sort()).toEqual(['createdAt', 'email', 'emailVerified', 'id', 'name', 'role']);
  });

  it.each([['limit=0'], ['limit=101'], ['page=0'], ['page=abc'], ['sort=email'], ['page=5001&limit=2'], ['page=10001&limit=1']])('rejects the list query %s with 400', async (query) => {
    await request(t.http).get(`/api/v1/admin/users?${query}`).set(...bearer(admin)).expect(400);
  });

  it('forbids every admin route to a customer (403) and to anonymous callers (401)', async () => {
    await request(t.http).get('/api/v1/admin/users').set(...bearer(customer)).expect(403);
    await request(t.http).patch(`/api/v1/admin/users/${customer.id}`).set(...bearer(customer)).send({ role: 'admin' }).expect(403);
    await request(t.http).get('/api/v1/admin/users').expect(401);
    const stored = await t.connection.collection('users').findOne({ email: customer.email });
    expect(stored?.role).toBe('customer');
  });

  it('changes a role and signs that user out, so the new role applies at once', async () => {
    const promoted = await registerCustomer(t, 'promoted');
    const res = await request(t.http).patch(`/api/v1/admin/users/${promoted.id}`).set(...bearer(admin)).send({ role: 'admin' }).expect(200);
    expect(res.body).toMatchObject({ id: promoted.id, role: 'admin' });
    await request(t.http).get('/api/v1/auth/me').set(...bearer(promoted)).expect(401);
    const again = await login(t, promoted.email, promoted.password);
    await request(t.http).get('/api/v1/admin/users').set(...bearer(again)).expect(200);

    await request(t.http).patch(`/api/v1/admin/users/${promoted.id}`).set(...bearer(admin)).send({ role: 'customer' }).expect(200);
    await request(t.http).get('/api/v1/admin/users').set(...bearer(again)).expect(401);
  });

  it('changes roles and address books of one user concurrently without a 500', async () => {
    const busy = await registerCustomer(t, 'busy');
    const address = { fullName: 'Busy Bee', line1: '1 Hive Rd', city: 'Honeyville', postalCode: '12345', country: 'US' };
    const results = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        request(t.http).patch(`/api/v1/admin/users/${busy.id}`).set(...bearer(admin)).send({ role: i % 2 ? 'customer' : 'admin' }),
      ),
      ...Array.from({ length: 6 }, () => request(t.http).post('/api/v1/me/addresses').set(...bearer(busy)).send(address)),
    ]);
    for (const res of results) expect([200, 201, 401, 409]).toContain(res.status);
    expect(results.slice(0, 6).every((res) => res.status === 200)).toBe(true);
    // Each answer shows the role its request set, whatever the others did in between.
    expect(results.slice(0, 6).map((res) => res.body.role)).toEqual(['admin', 'customer', 'admin', 'customer', 'admin', 'customer']);
    // Every request that changed the role (each is in the audit log; one that set the role the
    // user had is not) moved the session generation once, and no other did.
    const audit = await request(t.http).get(`/api/v1/admin/audit-log?entityId=${busy.id}&limit=100`).set(...bearer(admin)).expect(200);
    const entries = audit.body.items as { before: { role: string }; after: { role: string } }[];
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry.before.role).not.toBe(entry.after.role);
    expect((await t.connection.collection('users').findOne({ email: busy.email }))?.sessionGeneration).toBe(entries.length);
  });

  it('setting the role a user already has ends no session', async () => {
    const steady = await registerCustomer(t, 'steady');
    await request(t.http).patch(`/api/v1/admin/users/${steady.id}`).set(...bearer(admin)).send({ role: 'customer' }).expect(200);
    await request(t.http).get('/api/v1/auth/me').set(...bearer(steady)).expect(200);
    await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: steady.refreshToken }).expect(200);
    expect((await t.connection.collection('users').findOne({ email: steady.email }))?.sessionGeneration).toBe(0);
  });

  it('rejects a bad role, a malformed id and an unknown id', async () => {
    await request(t.http).patch(`/api/v1/admin/users/${customer.id}`).set(...bearer(admin)).send({ role: 'superuser' }).expect(400);
    await request(t.http).patch('/api/v1/admin/users/xyz').set(...bearer(admin)).send({ role: 'admin' }).expect(400);
    await request(t.http).patch('/api/v1/admin/users/0123456789abcdef01234567').set(...bearer(admin)).send({ role: 'admin' }).expect(404);
    await request(t.http).patch(`/api/v1/admin/users/${customer.id}`).set(...bearer(admin)).send({ role: 'admin', extra: 1 }).expect(400);
    const stored = await t.connection.collection('users').findOne({ email: customer.email });
    expect(stored?.role).toBe('customer');
  });
});
