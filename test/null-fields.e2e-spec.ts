import request from 'supertest';
import { bearer, login, registerCustomer } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Found by the fuzzing suite: `null` for an optional field passed validation and was stored,
 * and answers then carried `null` where the documented schema says array, string or boolean.
 */
describe('null in request bodies', () => {
  let t: TestApp;
  const ADMIN_EMAIL = 'null-admin@example.test';
  const ADMIN_PASSWORD = 'null admin password';

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL, ADMIN_PASSWORD } });
  });
  afterAll(() => t?.close());

  it('is refused for product fields, on create and on update, and changes nothing', async () => {
    const admin = await login(t, ADMIN_EMAIL, ADMIN_PASSWORD);
    await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Other', slug: null }).expect(400);
    await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Nulls' }).expect(201);
    const product = { title: 'Lamp', description: 'A lamp', brand: 'Acme', category: 'nulls', price: 1000, stock: 3 };
    for (const field of ['tags', 'status']) {
      await request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send({ ...product, [field]: null }).expect(400);
    }
    const created = await request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send({ ...product, tags: ['desk'] }).expect(201);
    for (const field of ['tags', 'status', 'title', 'price']) {
      const res = await request(t.http).patch(`/api/v1/admin/products/${created.body.id}`).set(...bearer(admin)).send({ [field]: null }).expect(400);
      expect(res.body.message.join(' ')).toContain(field);
    }
    const after = await request(t.http).get(`/api/v1/admin/products/${created.body.id}`).set(...bearer(admin)).expect(200);
    expect(after.body).toMatchObject({ title: 'Lamp', tags: ['desk'], status: 'active', price: 1000 });
  });

  it('clears an optional address line, and is refused for required fields and the default flag', async () => {
    const customer = await registerCustomer(t, 'nulls');
    const address = { fullName: 'Ada Lovelace', line1: '1 Main St', line2: 'Flat 2', city: 'London', postalCode: 'N1', country: 'GB', phone: '+44 20 0000' };
    await request(t.http).post('/api/v1/me/addresses').set(...bearer(customer)).send({ ...address, isDefault: null }).expect(400);
    const created = await request(t.http).post('/api/v1/me/addresses').set(...bearer(customer)).send({ ...address, state: null }).expect(201);
    expect(created.body).not.toHaveProperty('state');

    const path = `/api/v1/me/addresses/${created.body.id}`;
    const cleared = await request(t.http).patch(path).set(...bearer(customer)).send({ line2: null, phone: null }).expect(200);
    expect(cleared.body).not.toHaveProperty('line2');
    expect(cleared.body).not.toHaveProperty('phone');
    await request(t.http).patch(path).set(...bearer(customer)).send({ isDefault: null }).expect(400);
    await request(t.http).patch(path).set(...bearer(customer)).send({ city: null }).expect(400);
    const after = await request(t.http).get(path).set(...bearer(customer)).expect(200);
    expect(after.body).toMatchObject({ city: 'London', isDefault: true });
  });
});
