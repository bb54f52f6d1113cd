import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

describe('Outgoing webhooks: endpoints', () => {
  let t: TestApp;
  let admin: Account;

  beforeAll(async () => {
    ({ t, admin } = await createShopApp());
  });
  afterAll(() => t?.close());

  const create = (body: object) => request(t.http).post('/api/v1/admin/webhooks').set(...bearer(admin)).send(body);

  it('shows the secret once, on creation, and never in the list or the audit log', async () => {
    const created = (await create({ url: 'http://127.0.0.1:9/hooks', events: ['order.placed', 'order.paid'] }).expect(201)).body;
    expect(created).toMatchObject({ url: 'http://127.0.0.1:9/hooks', events: ['order.placed', 'order.paid'], active: true });
    expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/);

    const list = (await request(t.http).get('/api/v1/admin/webhooks').set(...bearer(admin)).expect(200)).body;
    const listed = list.items.find((item: { id: string }) => item.id === created.id);
    expect(listed).toEqual({ id: created.id, url: created.url, events: created.events, active: true, createdAt: created.createdAt, updatedAt: created.updatedAt });

    const audit = (await request(t.http).get(`/api/v1/admin/audit-log?entity=webhook&entityId=${created.id}`).set(...bearer(admin)).expect(200)).body;
    expect(audit.items).toMatchObject([{ action: 'webhook.created', before: null, after: { url: created.url } }]);
    expect(JSON.stringify(audit)).not.toContain(created.secret);
    expect(JSON.stringify(await t.connection.collection('audit_log').find({ entityId: created.id }).toArray())).not.toContain('whsec_');
  });

  it('rotates the secret: a new one, answered once', async () => {
    const created = (await create({ url: 'https://example.test/hooks', events: ['order.shipped'] }).expect(201)).body;
    const rotated = (await request(t.http).post(`/api/v1/admin/webhooks/${created.id}/rotate-secret`).set(...bearer(admin)).expect(200)).body;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect((await t.connection.collection('webhook_endpoints').findOne({ url: 'https://example.test/hooks' }))?.secret).toBe(rotated.secret);
    const audit = (await request(t.http).get(`/api/v1/admin/audit-log?entityId=${created.id}`).set(...bearer(admin)).expect(200)).body;
    expect(audit.items.map((entry: { action: string }) => entry.action)).toEqual(['webhook.secretRotated', 'webhook.created']);
    expect(JSON.stringify(audit)).not.toMatch(/whsec_/);
  });

  it('pauses, edits and deletes an endpoint, each change audited once', async () => {
    const created = (await create({ url: 'https://example.test/a', events: ['order.paid'] }).expect(201)).body;
    const paused = (await request(t.http).patch(`/api/v1/admin/webhooks/${created.id}`).set(...bearer(admin)).send({ active: false, events: ['order.paid', 'order.refunded'] }).expect(200)).body;
    expect(paused).toMatchObject({ active: false, events: ['order.paid', 'order.refunded'], url: 'https://example.test/a' });
    expect(paused).not.toHaveProperty('secret');
    await request(t.http).delete(`/api/v1/admin/webhooks/${created.id}`).set(...bearer(admin)).expect(204);
    await request(t.http).delete(`/api/v1/admin/webhooks/${created.id}`).set(...bearer(admin)).expect(404);
    await request(t.http).patch(`/api/v1/admin/webhooks/${created.id}`).set(...bearer(admin)).send({ active: true }).expect(404);

    const audit = (await request(t.http).get(`/api/v1/admin/audit-log?entityId=${created.id}`).set(...bearer(admin)).expect(200)).body;
    expect(audit.items).toMatchObject([
      { action: 'webhook.deleted', before: { active: false }, after: null },
      { action: 'webhook.updated', before: { active: true, events: ['order.paid'] }, after: { active: false, events: ['order.paid', 'order.refunded'] } },
      { action: 'webhook.created' },
    ]);
  });

  it.each([
    [{ url: 'ftp://example.test/x', events: ['order.paid'] }],
    [{ url: 'not a url', events: ['order.paid'] }],
    [{ url: 'https://example.test/x', events: [] }],
    [{ url: 'https://example.test/x', events: ['order.exploded'] }],
    [{ url: 'https://example.test/x', events: ['order.paid', 'order.paid'] }],
    [{ url: 'https://example.test/x', events: ['order.paid'], active: 'yes' }],
    [{ events: ['order.paid'] }],
  ])('refuses %j with 400 and stores nothing', async (body) => {
    const before = await t.connection.collection('webhook_endpoints').countDocuments();
    await create(body).expect(400);
    expect(await t.connection.collection('webhook_endpoints').countDocuments()).toBe(before);
  });

  it('is for admins only', async () => {
    const customer = await registerCustomer(t, 'webhook-nosy');
    await request(t.http).get('/api/v1/admin/webhooks').set(...bearer(customer)).expect(403);
    await request(t.http).post('/api/v1/admin/webhooks').set(...bearer(customer)).send({ url: 'https://example.test/x', events: ['order.paid'] }).expect(403);
  });
});
