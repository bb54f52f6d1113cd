import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { createCategory, createProduct, newProduct, png, uploadImages } from './support/catalog';
import { createShopApp, paymentSucceeded, Shop, SHOP_ADMIN } from './support/shop';
import type { TestApp } from './support/test-app';

interface Entry {
  id: string;
  at: string;
  actor: { id: string; email: string };
  action: string;
  entity: string;
  entityId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe('Admin audit log', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp());
  });
  afterAll(() => t?.close());

  async function entriesOf(entityId: string, as: Account = admin): Promise<Entry[]> {
    const res = await request(t.http).get(`/api/v1/admin/audit-log?entityId=${entityId}&limit=100`).set(...bearer(as)).expect(200);
    return res.body.items;
  }

  const stored = () => t.connection.collection('audit_log').countDocuments();

  it('a product update leaves exactly one entry, with the actor and the values before and after', async () => {
    const category = await createCategory(t, admin, { name: 'Audit Audio', slug: 'audit-audio' });
    const product = await createProduct(t, admin, { category: category.slug, price: 1000 });
    await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ price: 1500 }).expect(200);

    const entries = await entriesOf(product.id);
    expect(entries.map((entry) => entry.action)).toEqual(['product.updated', 'product.created']);
    const [updated, created] = entries;
    expect(updated).toMatchObject({
      actor: { id: admin.id, email: SHOP_ADMIN.email },
      entity: 'product',
      entityId: product.id,
      before: { price: 1000, title: product.title },
      after: { price: 1500, title: product.title },
    });
    expect(created).toMatchObject({ before: null, after: { price: 1000, category: 'audit-audio' } });
    expect(new Date(updated.at).getTime()).toBeGreaterThanOrEqual(new Date(created.at).getTime());
  });

  it('a save that changes nothing leaves no entry: the values already stored, an archive of an archived product', async () => {
    const category = await createCategory(t, admin, { name: 'Audit No-ops' });
    const product = await createProduct(t, admin, { category: category.slug, price: 1200, stock: 4 });
    const patch = (body: object) => request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send(body).expect(200);
    const sequence = async () => (await t.connection.collection('products').findOne({ _id: new Types.ObjectId(product.id) }))?.eventSequence;
    const before = await sequence();
    await patch({ price: 1200 });
    await patch({ title: product.title, stock: 4 });
    // Nothing written: no product.updated event either.
    expect(await sequence()).toBe(before);
    // A new title with the stock count already on hand: the title alone is written (this was a 500).
    await patch({ title: 'Audit No-op Renamed', stock: 4 });
    await request(t.http).delete(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(204);
    await request(t.http).delete(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(204);
    const entries = await entriesOf(product.id);
    expect(entries.map((entry) => entry.action)).toEqual(['product.archived', 'product.updated', 'product.created']);
    expect(entries[1]).toMatchObject({ before: { title: product.title, stockOnHand: 4 }, after: { title: 'Audit No-op Renamed', stockOnHand: 4 } });
  });

  it('failed writes (400, 404, 409) leave no entry', async () => {
    const category = await createCategory(t, admin, { name: 'Audit Failures' });
    const product = await createProduct(t, admin, { category: category.slug, stock: 2 });
    const customer = await registerCustomer(t, 'audit-holder');
    await shop.placeOrder(customer, [[product.id, 2]]); // two units held: a count below them is 409
    const count = await stored();

    await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ category: 'no-such-category' }).expect(400);
    await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ price: -5 }).expect(400);
    await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ stock: 1 }).expect(409);
    await request(t.http).post(`/api/v1/admin/products/${product.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: -1, reason: 'Broken' }).expect(409);
    await request(t.http).delete(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).expect(409);
    await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Dup', slug: category.slug }).expect(409);
    await request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send(newProduct({ category: 'no-such-category' })).expect(400);
    await request(t.http).patch('/api/v1/admin/products/000000000000000000000000').set(...bearer(admin)).send({ price: 5 }).expect(404);
    await request(t.http).delete(`/api/v1/admin/products/${product.id}/images`).set(...bearer(admin)).expect(409);

    expect(await stored()).toBe(count);
    expect((await entriesOf(product.id)).map((entry) => entry.action)).toEqual(['product.created']);
  });

  it('every kind of admin write names its entity and action once', async () => {
    const category = await createCategory(t, admin, { name: 'Audit Every' });
    const product = await createProduct(t, admin, { category: category.slug, stock: 5 });
    await request(t.http).post(`/api/v1/admin/products/${product.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: 3, reason: 'Delivery' }).expect(201);
    // Two images: one removed alone, the other purged with the archived product (a purge with nothing left changes nothing and is not logged).
    const withImage = (await uploadImages(t, admin, product.id, [{ name: 'a.png', data: png(1) }, { name: 'b.png', data: png(2) }]).expect(201)).body;
    await request(t.http).delete(`/api/v1/admin/products/${product.id}/images/${withImage.images[0].id}`).set(...bearer(admin)).expect(204);
    await request(t.http).delete(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(204);
    await request(t.http).delete(`/api/v1/admin/products/${product.id}/images`).set(...bearer(admin)).expect(204);
    await request(t.http).patch(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).send({ name: 'Audit Every Renamed' }).expect(200);
    await request(t.http).delete(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).expect(204);

    const productEntries = (await entriesOf(product.id)).reverse();
    expect(productEntries.map((entry) => entry.action)).toEqual([
      'product.created',
      'product.stockAdjusted',
      'product.imagesAdded',
      'product.imageRemoved',
      'product.archived',
      'product.imagesPurged',
    ]);
    expect(productEntries[1]).toMatchObject({ before: { stockOnHand: 5, stock: 5 }, after: { stockOnHand: 8, stock: 8, reason: 'Delivery' } });
    expect(productEntries[2]).toMatchObject({
      before: { images: [] },
      after: { images: withImage.images.map((image: { id: string }) => expect.objectContaining({ _id: image.id })) },
    });
    expect(productEntries[5]).toMatchObject({ before: { images: [expect.objectContaining({ _id: withImage.images[1].id })] }, after: { images: [] } });
    expect(productEntries[4]).toMatchObject({ before: { status: 'active' }, after: { status: 'archived' } });
    expect(productEntries[0].after).not.toHaveProperty('searchTokens');

    expect((await entriesOf(category.id)).reverse()).toMatchObject([
      { action: 'category.created', before: null, after: { name: 'Audit Every' } },
      { action: 'category.updated', before: { name: 'Audit Every' }, after: { name: 'Audit Every Renamed' } },
      { action: 'category.deleted', before: { name: 'Audit Every Renamed' }, after: null },
    ]);
  });

  it('an order status change and a refunding cancel are entries of the order', async () => {
    const { id: productId } = await shop.createProduct({ stock: 5 });
    const customer = await registerCustomer(t, 'audit-buyer');
    const order = await shop.placeOrder(customer, [[productId, 1]]);
    await shop.deliver(paymentSucceeded(order)).expect(200);
    await shop.setStatus(order.id, 'processing').expect(200);
    await shop.setStatus(order.id, 'cancelled').expect(200);
    await shop.setStatus(order.id, 'shipped', 'TRACK-1').expect(409);

    const entries = (await entriesOf(order.id)).reverse();
    expect(entries).toMatchObject([
      { action: 'order.statusChanged', entity: 'order', before: { status: 'paid' }, after: { status: 'processing' } },
      { action: 'order.statusChanged', entity: 'order', before: { status: 'processing' }, after: { status: 'cancelled' } },
    ]);
    expect(entries[1].after).not.toHaveProperty('outbox');
  });

  it('a role change is logged without the password hash', async () => {
    const promoted = await registerCustomer(t, 'audit-promoted');
    await request(t.http).patch(`/api/v1/admin/users/${promoted.id}`).set(...bearer(admin)).send({ role: 'admin' }).expect(200);

    const entries = await entriesOf(promoted.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'user.roleChanged', entity: 'user', before: { role: 'customer', email: promoted.email }, after: { role: 'admin' } });
    const user = await t.connection.collection('users').findOne({ email: promoted.email });
    const raw = JSON.stringify(await t.connection.collection('audit_log').find({ entityId: promoted.id }).toArray());
    for (const text of [JSON.stringify(entries), raw]) {
      expect(text).not.toContain('passwordHash');
      expect(text).not.toContain(user!.passwordHash as string);
    }
  });

  it('a review hidden by a moderator is an entry of the review', async () => {
    const { id: productId } = await shop.createProduct();
    const buyer = await registerCustomer(t, 'audit-reviewer');
    await shop.deliveredOrder(buyer, [[productId, 1]]);
    const review = (await request(t.http).post(`/api/v1/products/${productId}/reviews`).set(...bearer(buyer)).send({ rating: 2, body: 'Meh' }).expect(201)).body;
    await request(t.http).patch(`/api/v1/admin/reviews/${review.id}`).set(...bearer(admin)).send({ hidden: true }).expect(200);
    await request(t.http).patch(`/api/v1/admin/reviews/${review.id}`).set(...bearer(admin)).send({ hidden: true }).expect(200); // no change, no entry

    expect(await entriesOf(review.id)).toMatchObject([{ action: 'review.hidden', entity: 'review', before: { hidden: false }, after: { hidden: true } }]);
  });

  it('lists newest first, filtered by entity, actor and time, page by page', async () => {
    const second = await registerCustomer(t, 'audit-second-admin');
    await request(t.http).patch(`/api/v1/admin/users/${second.id}`).set(...bearer(admin)).send({ role: 'admin' }).expect(200);
    const otherAdmin = await login(t, second.email, second.password);
    const from = new Date().toISOString();
    const first = await createCategory(t, otherAdmin, { name: 'Audit Filter One' });
    const middle = new Date().toISOString();
    const latest = await createCategory(t, otherAdmin, { name: 'Audit Filter Two' });

    const byActor = await request(t.http).get(`/api/v1/admin/audit-log?actorId=${otherAdmin.id}`).set(...bearer(admin)).expect(200);
    expect(byActor.body).toMatchObject({ total: 2, page: 1, limit: 20 });
    expect(byActor.body.items.map((entry: Entry) => entry.entityId)).toEqual([latest.id, first.id]);
    expect(byActor.body.items[0].actor).toEqual({ id: otherAdmin.id, email: second.email });

    const paged = await request(t.http).get(`/api/v1/admin/audit-log?actorId=${otherAdmin.id}&limit=1&page=2`).set(...bearer(admin)).expect(200);
    expect(paged.body).toMatchObject({ total: 2, page: 2, limit: 1 });
    expect(paged.body.items.map((entry: Entry) => entry.entityId)).toEqual([first.id]);

    const window = await request(t.http).get(`/api/v1/admin/audit-log?actorId=${otherAdmin.id}&from=${from}&to=${middle}`).set(...bearer(admin)).expect(200);
    expect(window.body.items.map((entry: Entry) => entry.entityId)).toEqual([first.id]);

    const categories = await request(t.http).get('/api/v1/admin/audit-log?entity=category&limit=100').set(...bearer(admin)).expect(200);
    expect(categories.body.items.length).toBeGreaterThanOrEqual(2);
    expect(categories.body.items.every((entry: Entry) => entry.entity === 'category')).toBe(true);
    const times = (categories.body.items as Entry[]).map((entry) => new Date(entry.at).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const all = await request(t.http).get('/api/v1/admin/audit-log').set(...bearer(admin)).expect(200);
    expect(all.body.items[0]).toMatchObject({ entityId: latest.id, action: 'category.created' });
  });

  it.each([['entity=coupon'], ['actorId=nope'], ['from=yesterday'], ['limit=0'], ['sort=at']])('refuses the query %s with 400', async (query) => {
    await request(t.http).get(`/api/v1/admin/audit-log?${query}`).set(...bearer(admin)).expect(400);
  });

  it('is for admins only, and no route changes or deletes an entry', async () => {
    const customer = await registerCustomer(t, 'audit-nosy');
    await request(t.http).get('/api/v1/admin/audit-log').set(...bearer(customer)).expect(403);
    await request(t.http).get('/api/v1/admin/audit-log').expect(401);
    const [entry] = (await request(t.http).get('/api/v1/admin/audit-log?limit=1').set(...bearer(admin)).expect(200)).body.items as Entry[];
    const count = await stored();
    await request(t.http).delete(`/api/v1/admin/audit-log/${entry.id}`).set(...bearer(admin)).expect(404);
    await request(t.http).patch(`/api/v1/admin/audit-log/${entry.id}`).set(...bearer(admin)).send({ action: 'x' }).expect(404);
    await request(t.http).delete('/api/v1/admin/audit-log').set(...bearer(admin)).expect(404);
    await request(t.http).post('/api/v1/admin/audit-log').set(...bearer(admin)).send({}).expect(404);
    expect(await stored()).toBe(count);
  });
});
