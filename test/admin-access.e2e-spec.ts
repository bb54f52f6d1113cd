import request from 'supertest';
import { bearer, registerCustomer } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Every admin route in the OpenAPI document, called by a customer and by nobody: 403 and 401,
 * and nothing changes. New admin routes are covered as soon as they exist.
 */
describe('Admin routes refuse customers and anonymous callers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('answers 403 to a customer and 401 without a token on every /admin route', async () => {
    const customer = await registerCustomer(t, 'nosy');
    const { body: doc } = await request(t.http).get('/docs-json').expect(200);
    const someId = '0123456789abcdef01234567';
    const adminOperations = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/api/v1/admin/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method, path: path.replace(/\{[^}]+\}/g, someId) })));
    expect(adminOperations.length).toBeGreaterThanOrEqual(12);

    const before = await Promise.all(['users', 'products', 'categories'].map((name) => t.connection.collection(name).countDocuments()));
    for (const { method, path } of adminOperations) {
      const call = () => (request(t.http) as unknown as Record<string, (url: string) => request.Test>)[method](path);
      const asCustomer = await call().set(...bearer(customer)).send({});
      expect({ method, path, status: asCustomer.status }).toEqual({ method, path, status: 403 });
      const anonymous = await call().send({});
      expect({ method, path, status: anonymous.status }).toEqual({ method, path, status: 401 });
    }
    const after = await Promise.all(['users', 'products', 'categories'].map((name) => t.connection.collection(name).countDocuments()));
    expect(after).toEqual(before);
    const stored = await t.connection.collection('users').findOne({ email: customer.email });
    expect(stored?.role).toBe('customer');
  });
});
