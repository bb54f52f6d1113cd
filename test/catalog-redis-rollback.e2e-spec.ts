import request from 'supertest';
import { Types } from 'mongoose';
import { InventoryService } from '../src/products/inventory.service';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { createCategory, createProduct } from './support/catalog';
import { RedisLosingWrites } from './support/redis-losing-writes';
import { ServerProcess } from './support/server-process';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const ADMIN = { email: 'rollback-admin@example.test', password: 'rollback admin pw' };

/** Catalog reads through a Redis that loses its last writes (RedisLosingWrites). */
describe('Catalog reads after Redis lost its last writes', () => {
  let redis: RedisLosingWrites;
  let t: TestApp;
  let admin: Account;

  beforeAll(async () => {
    redis = await RedisLosingWrites.start();
    t = await createTestApp({ env: { REDIS_URL: redis.url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    admin = await login(t, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
  });

  const get = (path: string, etag?: string) => {
    const call = request(t.http).get(`/api/v1${path}`);
    return etag ? call.set('If-None-Match', etag) : call;
  };
  const snapshot = () => redis.snapshot();
  const loseWritesSinceSnapshot = () => redis.loseWritesSinceSnapshot(t);

  it('a connection that only blinked (Redis running on as before) bumps nothing: the cache goes on serving', async () => {
    await get('/categories').expect(200);
    expect((await get('/categories').expect(200)).headers['cache-status']).toBe('shop-api; hit');
    const raw = await redis.connected();
    const version = () => raw.get(`${t.env.REDIS_KEY_PREFIX}:catalog:version`);
    const before = await version();
    expect(Number(await raw.call('CLIENT', 'KILL', 'TYPE', 'normal'))).toBeGreaterThan(0);
    await waitFor(async () => (await request(t.http).get('/health')).status === 200, 'the API to be connected to Redis again');
    await waitFor(async () => (await get('/categories').expect(200)).headers['cache-status'] === 'shop-api; hit', 'catalog reads to be cache hits again');
    expect(await version()).toBe(before);
  });

  it('hands out no ETag again for other content: a client holding one is not told its copy is current', async () => {
    await get('/categories').expect(200);
    await snapshot();
    await createCategory(t, admin, { name: 'Rollback Garden' });
    const first = await get('/categories').expect(200);
    await createCategory(t, admin, { name: 'Rollback Kitchen' });
    const second = await get('/categories').expect(200);
    const held = [first.headers.etag, second.headers.etag];
    expect(new Set(held).size).toBe(2);

    await loseWritesSinceSnapshot();
    // The category writes are in MongoDB; Redis knows nothing of their bumps. Another write now:
    await createCategory(t, admin, { name: 'Rollback Office' });
    const names = (body: { name: string }[]) => body.map((category) => category.name).filter((name) => name.startsWith('Rollback '));
    for (const etag of held) {
      const res = await get('/categories', etag).expect(200);
      expect(names(res.body)).toEqual(['Rollback Garden', 'Rollback Kitchen', 'Rollback Office']);
      expect(held).not.toContain(res.headers.etag);
    }
  });

  it('a sale whose bump was lost shows in the next read of a listing cached before it', async () => {
    const category = await createCategory(t, admin, { name: 'Rollback Lamps' });
    const product = await createProduct(t, admin, { title: 'Rollback Desk Lamp', brand: 'Lumen', category: category.slug, price: 4999, stock: 5 });
    const listing = `/products?category=${category.slug}`;
    const stockShown = async () => {
      const res = await get(listing).expect(200);
      return { stock: res.body.items[0].stock as number, cacheStatus: res.headers['cache-status'] as string };
    };
    await get(listing).expect(200);
    expect(await stockShown()).toEqual({ stock: 5, cacheStatus: 'shop-api; hit' });
    await snapshot();

    const lines = [{ productId: product.id, variantId: (product.variants as { id: string }[])[0].id, quantity: 2 }];
    await t.app.get(InventoryService).allocate(new Types.ObjectId().toHexString(), lines);
    await loseWritesSinceSnapshot();

    // The listing this process holds and the one Redis came back with are both of before the sale.
    expect((await stockShown()).stock).toBe(3);
    // And the cache serves again, up to date.
    expect(await stockShown()).toEqual({ stock: 3, cacheStatus: 'shop-api; hit' });
  });

  it('a process started after the loss does not serve what Redis came back with', async () => {
    const category = await createCategory(t, admin, { name: 'Rollback Clocks' });
    const product = await createProduct(t, admin, { title: 'Rollback Wall Clock', brand: 'Tick', category: category.slug, price: 2999, stock: 5 });
    // API processes of the built app under a key prefix of their own: this file's app, whose
    // connection closes too, pays nothing on their behalf.
    const env = { ...t.env, REDIS_KEY_PREFIX: `${t.env.REDIS_KEY_PREFIX}-later` };
    const listing = `/api/v1/products?category=${category.slug}`;
    const shown = async (api: ServerProcess) => {
      const res = await request(`http://127.0.0.1:${api.port}`).get(listing).expect(200);
      return { stock: res.body.items[0].stock as number, cacheStatus: res.headers['cache-status'] as string };
    };
    const before = await ServerProcess.api(env);
    let after: ServerProcess | undefined;
    try {
      await shown(before);
      expect(await shown(before)).toEqual({ stock: 5, cacheStatus: 'shop-api; hit' });
      const base = `http://127.0.0.1:${before.port}`;
      const buyer = await registerCustomer(base, 'rollback-buyer');
      await snapshot();
      await request(base).post('/api/v1/cart/items').set(...bearer(buyer)).send({ productId: product.id, quantity: 2 }).expect(200);
      const shippingAddress = { fullName: 'Rollback Buyer', line1: '1 Snapshot Road', city: 'Berlin', postalCode: '10115', country: 'DE' };
      await request(base).post('/api/v1/checkout').set(...bearer(buyer)).send({ shippingAddress }).expect(201);
      expect((await shown(before)).stock).toBe(3);
      await before.stop();

      await loseWritesSinceSnapshot();
      after = await ServerProcess.api(env);
      expect((await shown(after)).stock).toBe(3);
      expect(await shown(after)).toEqual({ stock: 3, cacheStatus: 'shop-api; hit' });
    } finally {
      await before.stop();
      await after?.stop();
    }
  });
});
