import Redis from 'ioredis';
import { Types } from 'mongoose';
import request from 'supertest';
import { ProductStore } from '../src/products/products.store';
import { bearer, login } from './support/accounts';
import { createProduct } from './support/catalog';
import { dbCommandsDuring } from './support/db-commands';
import { ServerProcess } from './support/server-process';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const ADMIN = { email: 'cache-outage-admin@example.test', password: 'cache outage pw' };

/** A private Redis, stopped and restarted here; the shared one on 6379 is never touched. */
describe('Catalog reads through a Redis outage', () => {
  let redis: ServerProcess;
  let t: TestApp;

  beforeAll(async () => {
    redis = await ServerProcess.redis();
    t = await createTestApp({
      env: {
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        MONGODB_MONITOR_COMMANDS: 'true',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const get = (path: string) => request(t.http).get(`/api/v1${path}`);

  it('answers from MongoDB while Redis is down, shows writes made meanwhile, and caches again once Redis is back', async () => {
    const admin = await login(t, ADMIN.email, ADMIN.password);
    await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Audio' }).expect(201);
    const product = (
      await request(t.http)
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({ title: 'Wireless Headphones', description: 'd', brand: 'Sonique', category: 'audio', price: 12999, stock: 5 })
        .expect(201)
    ).body;
    const search = '/products?q=wireless';
    await get(search).expect(200);
    expect(await dbCommandsDuring(t.connection, () => get(search).expect(200))).toEqual([]);

    await redis.stop();
    const paths = [search, `/products/${product.slug}`, '/categories'];
    for (const path of paths) {
      const res = await get(path).expect(200);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['cache-status']).toBe('shop-api; fwd=bypass; detail=cache-unavailable');
    }
    // Admin routes need Redis (sessions); a writer such as a checkout goes through the store.
    const stored = (await t.app.get(ProductStore).findById(product.id))!;
    await t.app.get(ProductStore).revise(stored, { variantId: stored.variants[0]._id, variant: { price: 9999 } });
    const during = await get(search).expect(200);
    expect(during.body.items[0].price).toBe(9999);
    expect((await get(`/products/${product.slug}`).expect(200)).body.price).toBe(9999);

    await redis.start();
    // Healed: a read is stored and the next identical read costs no database work.
    await waitFor(async () => {
      await get(search).expect(200);
      return (await dbCommandsDuring(t.connection, () => get(search).expect(200))).length === 0;
    }, 'catalog reads to be served from the cache again after Redis restarted');
    const after = await get(search).expect(200);
    expect(after.body.items[0].price).toBe(9999);
    expect(after.headers.etag).toMatch(/^"/);
    expect(after.headers['cache-control']).toBe('public, max-age=30');
  });

  it('a write whose bump was lost (its writer cut off from Redis, then gone) shows once the process\'s own copy is a minute old', async () => {
    const admin = await login(t, ADMIN.email, ADMIN.password);
    const product = await createProduct(t, admin, { title: 'Desk Lamp', brand: 'Lumen', category: 'audio', price: 4999, stock: 5 });
    const path = `/products/${product.slug}`;
    await get(path).expect(200);
    expect((await get(path).expect(200)).headers['cache-status']).toBe('shop-api; hit');
    // The lost write: in MongoDB, no version bumped; the Redis copy gone as after its 60 s.
    await t.connection.collection('products').updateOne({ _id: new Types.ObjectId(product.id) }, { $set: { title: 'Desk Lamp, renamed' } });
    const raw = new Redis(`redis://127.0.0.1:${redis.port}`);
    try {
      const stored = await raw.keys(`${t.env.REDIS_KEY_PREFIX}:catalog:answer:*`);
      expect(stored.length).toBeGreaterThan(0);
      await raw.del(...stored);
    } finally {
      raw.disconnect();
    }
    // Within the minute the process's own copy answers; after it, the answer is computed again.
    expect((await get(path).expect(200)).body.title).toBe('Desk Lamp');
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    try {
      const later = await get(path).expect(200);
      expect(later.body.title).toBe('Desk Lamp, renamed');
      expect(later.headers['cache-status']).toMatch(/^shop-api; fwd=miss/);
    } finally {
      clock.mockRestore();
    }
  });
});
