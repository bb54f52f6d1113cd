import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

describe('Pricing settings (admin): tax rates, shipping methods, promotions', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp());
  });
  afterAll(() => t?.close());

  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object) => {
    const req = request(t.http)[method](`/api/v1/admin/${path}`).set(...bearer(admin));
    return body ? req.send(body) : req;
  };
  const auditOf = async (id: string) => (await request(t.http).get(`/api/v1/admin/audit-log?entityId=${id}`).set(...bearer(admin)).expect(200)).body.items;

  it('tax rates: created with taxClass standard by default, edited, deleted, each audited', async () => {
    const created = (await api('post', 'tax-rates', { country: 'de', rate: 1900, name: 'MwSt' }).expect(201)).body;
    expect(created).toMatchObject({ country: 'DE', taxClass: 'standard', rate: 1900, name: 'MwSt' });
    const edited = (await api('patch', `tax-rates/${created.id}`, { rate: 700, taxClass: 'reduced' }).expect(200)).body;
    expect(edited).toMatchObject({ rate: 700, taxClass: 'reduced', country: 'DE' });
    expect((await api('get', 'tax-rates').expect(200)).body.items.map((rate: { id: string }) => rate.id)).toContain(created.id);
    await api('delete', `tax-rates/${created.id}`).expect(204);
    await api('delete', `tax-rates/${created.id}`).expect(404);
    expect(await auditOf(created.id)).toMatchObject([
      { action: 'taxRate.deleted', entity: 'taxRate', after: null },
      { action: 'taxRate.updated', before: { rate: 1900 }, after: { rate: 700 } },
      { action: 'taxRate.created', before: null },
    ]);
  });

  it('shipping methods: created active by default, edited, deleted, each audited', async () => {
    const created = (await api('post', 'shipping-methods', { name: 'Standard', countries: ['de', 'AT'], price: 490, freeFrom: 5000 }).expect(201)).body;
    expect(created).toMatchObject({ name: 'Standard', countries: ['DE', 'AT'], price: 490, freeFrom: 5000, active: true });
    expect((await api('patch', `shipping-methods/${created.id}`, { active: false }).expect(200)).body.active).toBe(false);
    await api('delete', `shipping-methods/${created.id}`).expect(204);
    expect((await auditOf(created.id)).map((entry: { action: string }) => entry.action)).toEqual([
      'shippingMethod.deleted',
      'shippingMethod.updated',
      'shippingMethod.created',
    ]);
  });

  it('promotions: reads add used; codes are unique case-insensitively (409)', async () => {
    const created = (await api('post', 'promotions', { name: 'Spring', code: 'Spring10', type: 'percentage', value: 1000, usageLimit: 5 }).expect(201)).body;
    expect(created).toMatchObject({ name: 'Spring', code: 'Spring10', type: 'percentage', value: 1000, usageLimit: 5, combinable: false, active: true, used: 0 });
    expect((await api('get', `promotions/${created.id}`).expect(200)).body).toEqual(created);
    await api('post', 'promotions', { name: 'Copy', code: 'SPRING10', type: 'fixed', value: 100 }).expect(409);
    const auto = (await api('post', 'promotions', { name: 'Free shipping', type: 'free_shipping' }).expect(201)).body;
    expect(auto).toMatchObject({ type: 'free_shipping', value: 0, used: 0 });
    expect(auto).not.toHaveProperty('code');
    await api('patch', `promotions/${auto.id}`, { code: 'spring10' }).expect(409);
    const edited = (await api('patch', `promotions/${created.id}`, { value: 1500, endsAt: '2099-01-01T00:00:00Z' }).expect(200)).body;
    expect(edited).toMatchObject({ value: 1500, used: 0 });
    expect((await auditOf(created.id)).map((entry: { action: string }) => entry.action)).toEqual(['promotion.updated', 'promotion.created']);
    await api('delete', `promotions/${created.id}`).expect(204);
    await api('get', `promotions/${created.id}`).expect(404);
  });

  it.each<[string, string, object]>([
    ['a tax rate of 100 %', 'tax-rates', { country: 'DE', rate: 10_000, name: 'x' }],
    ['a negative tax rate', 'tax-rates', { country: 'DE', rate: -1, name: 'x' }],
    ['a country that is not ISO-2', 'tax-rates', { country: 'Germany', rate: 1900, name: 'x' }],
    ['a negative shipping price', 'shipping-methods', { name: 'x', countries: [], price: -1 }],
    ['a maxSubtotal below minSubtotal', 'shipping-methods', { name: 'x', countries: [], price: 100, minSubtotal: 5000, maxSubtotal: 4000 }],
    ['a percentage over 100 %', 'promotions', { name: 'x', type: 'percentage', value: 10_001 }],
    ['a fixed discount of 0', 'promotions', { name: 'x', type: 'fixed', value: 0 }],
    ['an end before the start', 'promotions', { name: 'x', type: 'fixed', value: 100, startsAt: '2030-02-01T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' }],
    ['an unknown type', 'promotions', { name: 'x', type: 'bogo', value: 1 }],
    ['an unknown field', 'promotions', { name: 'x', type: 'fixed', value: 1, used: 3 }],
  ])('refuses %s with 400 and stores nothing', async (_name, path, body) => {
    const collection = { 'tax-rates': 'tax_rates', 'shipping-methods': 'shipping_methods', promotions: 'promotions' }[path]!;
    const before = await t.connection.collection(collection).countDocuments();
    await api('post', path, body).expect(400);
    expect(await t.connection.collection(collection).countDocuments()).toBe(before);
  });

  it('a PATCH that would make the promotion invalid is refused (400) and changes nothing', async () => {
    const created = (await api('post', 'promotions', { name: 'Window', type: 'fixed', value: 100, startsAt: '2030-01-01T00:00:00Z' }).expect(201)).body;
    await api('patch', `promotions/${created.id}`, { endsAt: '2029-01-01T00:00:00Z' }).expect(400);
    await api('patch', `promotions/${created.id}`, { type: 'percentage', value: 20_000 }).expect(400);
    expect((await api('get', `promotions/${created.id}`).expect(200)).body).toEqual(created);
  });

  it('products carry taxClass, standard by default', async () => {
    const plain = await shop.createProduct();
    expect(plain).toMatchObject({ taxClass: 'standard' });
    const edited = (await request(t.http).patch(`/api/v1/admin/products/${plain.id}`).set(...bearer(admin)).send({ taxClass: 'reduced' }).expect(200)).body;
    expect(edited.taxClass).toBe('reduced');
    await request(t.http).patch(`/api/v1/admin/products/${plain.id}`).set(...bearer(admin)).send({ taxClass: 'Not A Slug' }).expect(400);
  });

  it('is for admins only', async () => {
    const customer = await registerCustomer(t, 'pricing-nosy');
    for (const path of ['tax-rates', 'shipping-methods', 'promotions']) {
      await request(t.http).get(`/api/v1/admin/${path}`).set(...bearer(customer)).expect(403);
    }
  });
});
