import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { default as Redis } from 'ioredis';
import type { CommandStartedEvent } from 'mongodb';
import request from 'supertest';
import { Types } from 'mongoose';
import { MOVES_KEPT_AT_MOST } from '../src/products/catalog-version';
import { InventoryService } from '../src/products/inventory.service';
import { ProductEdit, ProductStore } from '../src/products/products.store';
import { REDIS } from '../src/redis/redis.module';
import { gradientPng } from '../src/seed/png';
import { Account, bearer, login } from './support/accounts';
import { aggregationsDuring, dbCommandsDuring } from './support/db-commands';
import { anotherInstanceOf, createTestApp, TestApp } from './support/test-app';

const ADMIN = { email: 'search-admin@example.test', password: 'search admin pw' };

interface Item {
  id: string;
  title: string;
  slug: string;
  brand: string;
  category: string;
  price: number;
  stock: number;
  createdAt: string;
  ratingAverage: number;
  ratingCount: number;
  variants: { id: string; stock: number; options: Record<string, string> }[];
}

describe('GET /products: search, filters, facets, sorting, caching (MongoDB + Redis)', () => {
  let t: TestApp;
  let admin: Account;
  let store: ProductStore;
  /** Every active product of the fixture, as the API returned it. */
  let active: Item[];
  const hidden: Item[] = [];

  const get = (path: string) => request(t.http).get(`/api/v1${path}`);
  const list = async (query: string) => (await get(`/products?${query}`).expect(200)).body;
  const titles = (body: { items: Item[] }) => body.items.map((item) => item.title);
  const createProduct = async (fields: Record<string, unknown>): Promise<Item> =>
    (
      await request(t.http)
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({ description: 'A product.', tags: [], ...fields })
        .expect(201)
    ).body;
  const sortedIds = (items: Item[], compare: (a: Item, b: Item) => number) => [...items].sort(compare).map((item) => item.id);
  const byId = (a: Item, b: Item) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, MONGODB_MONITOR_COMMANDS: 'true' } });
    admin = await login(t, ADMIN.email, ADMIN.password);
    store = t.app.get(ProductStore);
    for (const name of ['Audio', 'Kitchen']) {
      await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name }).expect(201);
    }
    active = [];
    const fixture = [
      { title: 'Wireless Headphones', brand: 'Sonique', category: 'audio', tags: ['Bluetooth'], price: 12999, stock: 5 },
      { title: 'Café Crème Grinder', brand: 'Brûlé', category: 'kitchen', tags: ['coffee'], price: 4999, stock: 0 },
      { title: 'Studio Monitor Speakers', brand: 'Sonique', category: 'audio', tags: ['wireless'], price: 25999, stock: 3 },
      { title: 'Headphone Stand', brand: 'Woodcraft', category: 'audio', tags: [], price: 1999, stock: 10 },
      { title: 'Espresso Cup Set', brand: 'Brûlé', category: 'kitchen', tags: ['Café'], price: 1500, stock: 7 },
      // Equal prices and ratings: only the tie-breaker orders these.
      ...[1, 2, 3, 4, 5].map((n) => ({ title: `Sticker Pack ${n}`, brand: 'Paperie', category: 'kitchen', tags: [], price: 999, stock: n % 2 })),
    ];
    for (const fields of fixture) active.push(await createProduct(fields));
    hidden.push(await createProduct({ title: 'Wireless Draft Earbuds', brand: 'Sonique', category: 'audio', price: 5000, stock: 5, status: 'draft' }));
    const archived = await createProduct({ title: 'Wireless Archived Buds', brand: 'Sonique', category: 'audio', price: 5000, stock: 5 });
    await request(t.http).delete(`/api/v1/admin/products/${archived.id}`).set(...bearer(admin)).expect(204);
    hidden.push(archived);
    // Ratings come from reviews, which write through the store like every other writer.
    const ratings: Record<string, [number, number]> = {
      'Wireless Headphones': [4.5, 10],
      'Studio Monitor Speakers': [4.5, 30],
      'Headphone Stand': [3, 2],
      'Espresso Cup Set': [5, 1],
    };
    for (const item of active) {
      const [ratingAverage, ratingCount] = ratings[item.title] ?? [0, 0];
      await store.replaceRating(new Types.ObjectId(item.id), { ratingSum: 0, ratingCount: 0, ratingAverage: 0 }, { sum: ratingAverage * ratingCount, count: ratingCount });
      Object.assign(item, { ratingAverage, ratingCount });
    }
  });
  let other: TestApp | undefined;
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  describe('matching', () => {
    it('needs every word, takes the last one as a prefix, ignores case and accents', async () => {
      expect(titles(await list('q=wireless%20head'))).toEqual(['Wireless Headphones']);
      expect(titles(await list('q=WIRELESS%20HEADPHONES'))).toEqual(['Wireless Headphones']);
      expect(titles(await list('q=head'))).toEqual(expect.arrayContaining(['Wireless Headphones', 'Headphone Stand']));
      expect((await list('q=head')).total).toBe(2);
      expect(titles(await list('q=cr%C3%A8'))).toEqual(['Café Crème Grinder']);
      expect(titles(await list('q=brule%20grind'))).toEqual(['Café Crème Grinder']);
      expect(await list('q=headphones%20grinder')).toMatchObject({ items: [], total: 0 });
      expect(await list('q=zzz')).toMatchObject({ items: [], total: 0 });
    });

    it('ranks title matches above brand or tag matches, then by rating count', async () => {
      // "cafe": the grinder's title against the cup set's tag, whatever their rating counts.
      expect(titles(await list('q=cafe'))).toEqual(['Café Crème Grinder', 'Espresso Cup Set']);
      expect(titles(await list('q=Caf%C3%89'))).toEqual(['Café Crème Grinder', 'Espresso Cup Set']);
      // "wireless": the speakers have it as a tag only and more ratings; the title match wins.
      expect(titles(await list('q=wireless'))).toEqual(['Wireless Headphones', 'Studio Monitor Speakers']);
      // A brand match for both: the rating count decides.
      expect(titles(await list('q=sonique'))).toEqual(['Studio Monitor Speakers', 'Wireless Headphones']);
    });

    it('never shows drafts or archived products', async () => {
      const everything = await list('limit=100');
      expect(everything.total).toBe(active.length);
      expect(everything.items.map((item: Item) => item.id).sort()).toEqual(active.map((item) => item.id).sort());
      for (const query of ['q=wireless', 'q=buds', 'q=earbuds', 'brand=Sonique&limit=100']) {
        const ids = (await list(query)).items.map((item: Item) => item.id);
        for (const product of hidden) expect(ids).not.toContain(product.id);
      }
      for (const product of hidden) await get(`/products/${product.slug}`).expect(404);
    });
  });

  describe('filters and facets', () => {
    const cases: [string, (item: Item) => boolean][] = [
      ['category=kitchen', (item) => item.category === 'kitchen'],
      ['brand=Sonique', (item) => item.brand === 'Sonique'],
      [`brand=${encodeURIComponent('Brûlé')}`, (item) => item.brand === 'Brûlé'],
      ['minPrice=4999', (item) => item.price >= 4999],
      ['maxPrice=1999', (item) => item.price <= 1999],
      ['minPrice=1000&maxPrice=5000', (item) => item.price >= 1000 && item.price <= 5000],
      ['minPrice=999&maxPrice=999', (item) => item.price === 999],
      ['inStock=true', (item) => item.stock > 0],
      ['inStock=false', () => true],
      ['category=audio&brand=Sonique&inStock=true&maxPrice=20000', (item) => item.title === 'Wireless Headphones'],
      // "s" as a prefix: "Sticker", "Set".
      ['q=s&category=kitchen&inStock=true', (item) => /\bs/i.test(item.title) && item.category === 'kitchen' && item.stock > 0],
    ];

    it.each(cases)('%s: exactly the matching products, with facets counted over all of them', async (query, keep) => {
      const expected = active.filter(keep);
      const body = await list(`${query}&limit=3`);
      expect(body.total).toBe(expected.length);
      expect(body.items.length).toBe(Math.min(3, expected.length));
      const all = await list(`${query}&limit=100`);
      expect(all.items.map((item: Item) => item.id).sort()).toEqual(expected.map((item) => item.id).sort());

      const counts = (field: 'brand' | 'category') => {
        const tally = new Map<string, number>();
        for (const item of expected) tally.set(item[field], (tally.get(item[field]) ?? 0) + 1);
        return [...tally].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
      };
      // Facets describe the whole filtered result, not the page of 3 (no product here has options).
      expect(body.facets).toEqual({ brands: counts('brand'), categories: counts('category'), options: [] });
    });
  });

  describe('sorting and pagination', () => {
    const orders: [string, (a: Item, b: Item) => number][] = [
      ['price_asc', (a, b) => a.price - b.price || byId(a, b)],
      ['price_desc', (a, b) => b.price - a.price || byId(a, b)],
      ['rating', (a, b) => b.ratingAverage - a.ratingAverage || b.ratingCount - a.ratingCount || byId(a, b)],
      ['newest', (a, b) => b.createdAt.localeCompare(a.createdAt) || byId(b, a)],
    ];

    it.each(orders)('sort=%s orders as specified; pages of 2 cover every product exactly once', async (sort, compare) => {
      const expected = sortedIds(active, compare);
      const seen: string[] = [];
      for (let page = 1; page <= Math.ceil(active.length / 2); page += 1) {
        const body = await list(`sort=${sort}&limit=2&page=${page}`);
        expect(body).toMatchObject({ total: active.length, page, limit: 2 });
        seen.push(...body.items.map((item: Item) => item.id));
      }
      expect(seen).toEqual(expected);
    });

    it('newest is the default without q; relevance with q', async () => {
      expect((await list('limit=100')).items.map((item: Item) => item.id)).toEqual((await list('sort=newest&limit=100')).items.map((item: Item) => item.id));
      expect(titles(await list('q=wireless'))).toEqual(titles(await list('q=wireless&sort=relevance')));
    });

    it('a page past the end is empty and keeps the total', async () => {
      const body = await list('page=50&limit=10');
      expect(body).toMatchObject({ items: [], total: active.length, page: 50, limit: 10 });
      expect(body.facets.brands.length).toBeGreaterThan(0);
      const last = await list(`page=${Math.ceil(active.length / 3)}&limit=3`);
      expect(last.items.length).toBe(active.length - 3 * (Math.ceil(active.length / 3) - 1));
    });
  });

  it('answers 400 in the error shape to every malformed parameter', async () => {
    const bad = [
      'limit=1000',
      'limit=0',
      'page=0',
      'page=-1',
      'minPrice=abc',
      'maxPrice=1.5',
      'minPrice=5000&maxPrice=100',
      'sort=drop',
      `q=${'x'.repeat(10_000)}`,
      'q[$ne]=x',
      'q=a&q=b',
      'brand[]=a&brand[]=b',
      'brand=a&brand=b',
      'category=Not%20A%20Slug',
      'inStock=yes',
      'unknown=1',
      // Deeper than 10,000 items (API.md, Abuse limits), also with the default limit of 20.
      'page=101&limit=100',
      'page=501',
      'page=10001&limit=1',
    ];
    for (const query of bad) {
      const res = await get(`/products?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.anything() });
      expect(res.headers['cache-control'] ?? '').not.toMatch(/public/);
    }
  });

  /** An edit through the store's own verb, as an admin's save makes it. */
  const edit = async (id: string, fields: ProductEdit) => store.revise((await store.findById(id))!, { fields });

  describe('the product store, every writer\'s way in', () => {
    it('recomputes the search tokens with an edit of a searchable field, and the next read sees it', async () => {
      const target = active.find((item) => item.title === 'Studio Monitor Speakers')!;
      expect(await edit(target.id, { title: 'Renamed Speakers' })).not.toBeNull();
      expect(titles(await list('q=renamed'))).toEqual(['Renamed Speakers']);
      expect(await edit(target.id, { title: 'Studio Monitor Speakers' })).not.toBeNull();
      expect((await list('q=renamed')).total).toBe(0);
      expect(titles(await list('q=speakers'))).toEqual(['Studio Monitor Speakers']);
    });
  });

  describe('database round trips', () => {
    it('an uncached search costs one aggregation; a repeat and a 304 cost none', async () => {
      await edit(active[0].id, { description: 'New catalog version, nothing cached.' });
      const query = '/products?q=wireless&category=audio&inStock=true&sort=price_desc&limit=5';
      let res: request.Response | undefined;
      expect(await dbCommandsDuring(t.connection, async () => (res = await get(query).expect(200)))).toEqual(['aggregate']);
      expect(res!.headers['cache-status']).toBe('shop-api; fwd=miss; stored');
      let repeat: request.Response | undefined;
      expect(await dbCommandsDuring(t.connection, async () => (repeat = await get(query).expect(200)))).toEqual([]);
      expect(repeat!.headers['cache-status']).toBe('shop-api; hit');
      // Parameters in another order are the same query.
      expect(await dbCommandsDuring(t.connection, () => get('/products?limit=5&sort=price_desc&inStock=true&category=audio&q=wireless').expect(200))).toEqual([]);
      expect(await dbCommandsDuring(t.connection, () => get(query).set('If-None-Match', res!.headers.etag).expect(304))).toEqual([]);
    });

    it('concurrent misses of one search after a content write run it once; other searches still run their own', async () => {
      await edit(active[0].id, { description: 'A sale starts, nothing cached.' });
      const query = '/products?category=audio&sort=price_asc&limit=5';
      const other = '/products?category=kitchen&sort=price_asc&limit=5';
      let answers: request.Response[] = [];
      const commands = await dbCommandsDuring(t.connection, async () => {
        answers = await Promise.all([...Array.from({ length: 20 }, () => get(query)), ...Array.from({ length: 5 }, () => get(other))]);
      });
      expect(commands).toEqual(['aggregate', 'aggregate']);
      const first = answers.slice(0, 20);
      expect(first.map((res) => res.status)).toEqual(Array(20).fill(200));
      expect(new Set(first.map((res) => res.text)).size).toBe(1);
      expect(new Set(first.map((res) => res.headers.etag)).size).toBe(1);
      expect(new Set(answers.slice(20).map((res) => res.text)).size).toBe(1);
      expect((first[0].body as { items: Item[] }).items.every((item) => item.category === 'audio')).toBe(true);
      expect((answers[20].body as { items: Item[] }).items.every((item) => item.category === 'kitchen')).toBe(true);
      // One computed and stored it; the rest waited for it, or came late enough to find it stored.
      const outcomes = first.map((res) => res.headers['cache-status']);
      expect(outcomes.filter((status) => status === 'shop-api; fwd=miss; stored')).toHaveLength(1);
      expect(outcomes.filter((status) => status === 'shop-api; fwd=miss; collapsed').length).toBeGreaterThan(0);
      expect(outcomes.every((status) => ['shop-api; fwd=miss; stored', 'shop-api; fwd=miss; collapsed', 'shop-api; hit'].includes(status))).toBe(true);
    });

    it('paging through one filter computes its facets once; each further page reads only its items', async () => {
      await edit(active[0].id, { description: 'Yet another version, nothing cached.' });
      const kitchen = active.filter((item) => item.category === 'kitchen');
      const pages = Math.ceil(kitchen.length / 2);
      const bodies: { items: Item[]; total: number; facets: unknown }[] = [];
      const pipelines = await aggregationsDuring(t.connection, async () => {
        for (let page = 1; page <= pages + 1; page += 1) bodies.push(await list(`category=kitchen&sort=price_asc&limit=2&page=${page}`));
        // Another order of the same filter has the same counts.
        bodies.push(await list('category=kitchen&sort=newest&limit=2&page=1'));
      });
      const withFacets = pipelines.filter((pipeline) => pipeline.some((stage) => '$facet' in stage));
      expect(withFacets).toHaveLength(1);
      // Pages 2..N and the other order read their items; the page past the end reads nothing.
      expect(pipelines).toHaveLength(1 + (pages - 1) + 1);
      expect(new Set(bodies.map((body) => JSON.stringify([body.total, body.facets]))).size).toBe(1);
      expect(bodies[0].total).toBe(kitchen.length);
      expect(bodies.slice(0, pages).flatMap((body) => body.items.map((item) => item.id))).toEqual(sortedIds(kitchen, (a, b) => a.price - b.price || byId(a, b)));
      expect(bodies[pages].items).toEqual([]);
    });

    it('lists end at 10,000 items deep: the deepest allowed page is answered', async () => {
      expect(await list('page=100&limit=100')).toMatchObject({ items: [], total: active.length, page: 100, limit: 100 });
      expect(await list('page=500')).toMatchObject({ items: [], page: 500, limit: 20 });
    });

    it('a product read and the category list cost one query uncached and none cached', async () => {
      await edit(active[0].id, { description: 'Another version.' });
      expect(await dbCommandsDuring(t.connection, () => get(`/products/${active[0].slug}`).expect(200))).toEqual(['find']);
      expect(await dbCommandsDuring(t.connection, () => get(`/products/${active[0].slug}`).expect(200))).toEqual([]);
      expect(await dbCommandsDuring(t.connection, () => get('/categories').expect(200))).toEqual(['find']);
      expect(await dbCommandsDuring(t.connection, () => get('/categories').expect(200))).toEqual([]);
    });
  });

  describe('HTTP caching', () => {
    it('anonymous reads carry a strong ETag and public max-age; If-None-Match gives 304 with no body', async () => {
      for (const path of ['/products?q=wireless', `/products/${active[0].slug}`, '/categories']) {
        const first = await get(path).expect(200);
        expect(first.headers['cache-control']).toBe('public, max-age=30');
        expect(first.headers.etag).toMatch(/^"[\w-]+"$/);
        const again = await get(path).set('If-None-Match', first.headers.etag).expect(304);
        expect(again.text ?? '').toBe('');
        expect(again.headers.etag).toBe(first.headers.etag);
        await get(path).set('If-None-Match', '"something-else"').expect(200);
      }
    });

    it("answers 304 to a conditional GET from Node's fetch(), which sends Cache-Control: no-cache with If-None-Match", async () => {
      const server: Server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      for (const path of ['/products?q=wireless', `/products/${active[0].slug}`, '/categories']) {
        const url = `http://127.0.0.1:${port}/api/v1${path}`;
        const first = await fetch(url);
        expect(first.status).toBe(200);
        const body = await first.json();
        const etag = first.headers.get('etag')!;
        // fetch() adds `Cache-Control: no-cache` itself to a request carrying If-None-Match.
        const again = await fetch(url, { headers: { 'If-None-Match': etag } });
        expect({ status: again.status, body: await again.text(), etag: again.headers.get('etag') }).toEqual({ status: 304, body: '', etag });
        const explicit = await fetch(url, { headers: { 'If-None-Match': etag, 'Cache-Control': 'no-cache' } });
        expect(explicit.status).toBe(304);
        const other = await fetch(url, { headers: { 'If-None-Match': '"something-else"' } });
        expect({ status: other.status, body: await other.json() }).toEqual({ status: 200, body });
      }
    });

    it('a catalog change gives a new tag and the old one a full answer', async () => {
      const path = `/products?category=audio`;
      const before = await get(path).expect(200);
      await request(t.http).patch(`/api/v1/admin/products/${active[3].id}`).set(...bearer(admin)).send({ price: 2099 }).expect(200);
      const after = await get(path).set('If-None-Match', before.headers.etag).expect(200);
      expect(after.headers.etag).not.toBe(before.headers.etag);
      expect(after.body.items.find((item: Item) => item.id === active[3].id).price).toBe(2099);
      active[3].price = 2099;
    });

    it('never marks a request with Authorization public', async () => {
      for (const path of ['/products?q=wireless', `/products/${active[0].slug}`, '/categories']) {
        const res = await get(path).set(...bearer(admin)).expect(200);
        expect(res.headers['cache-control']).not.toMatch(/public/);
        expect(res.headers['cache-control']).toMatch(/private/);
      }
    });

    it('errors are not cached and carry no public caching headers', async () => {
      const missing = await get('/products/no-such-product').expect(404);
      expect(missing.headers['cache-control'] ?? '').not.toMatch(/public/);
    });
  });

  describe('never stale: each write shows in the very next search and product read', () => {
    /** Reads twice so that the answer before the write is surely served from the cache. */
    const cachedSearch = async (query: string) => {
      await list(query);
      expect(await dbCommandsDuring(t.connection, () => get(`/products?${query}`).expect(200))).toEqual([]);
      return list(query);
    };
    const cachedRead = async (slug: string) => {
      await get(`/products/${slug}`).expect(200);
      return (await get(`/products/${slug}`).expect(200)).body;
    };

    it('a price change', async () => {
      const target = active[0];
      expect(titles(await cachedSearch('maxPrice=10000&q=wireless'))).toEqual([]);
      await cachedRead(target.slug);
      await request(t.http).patch(`/api/v1/admin/products/${target.id}`).set(...bearer(admin)).send({ price: 9999 }).expect(200);
      expect(titles(await list('maxPrice=10000&q=wireless'))).toEqual(['Wireless Headphones']);
      expect((await get(`/products/${target.slug}`).expect(200)).body.price).toBe(9999);
      target.price = 9999;
    });

    it('a stock change', async () => {
      const target = active.find((item) => item.title === 'Café Crème Grinder')!;
      expect(titles(await cachedSearch('inStock=true&q=grinder'))).toEqual([]);
      await cachedRead(target.slug);
      await request(t.http).patch(`/api/v1/admin/products/${target.id}`).set(...bearer(admin)).send({ stock: 4 }).expect(200);
      expect(titles(await list('inStock=true&q=grinder'))).toEqual(['Café Crème Grinder']);
      expect((await get(`/products/${target.slug}`).expect(200)).body.stock).toBe(4);
      target.stock = 4;
    });

    it('a new product and its archive', async () => {
      expect((await cachedSearch('q=turntable')).total).toBe(0);
      const created = await createProduct({ title: 'Belt Turntable', brand: 'Sonique', category: 'audio', price: 30000, stock: 2 });
      expect(titles(await list('q=turntable'))).toEqual(['Belt Turntable']);
      expect((await cachedRead(created.slug)).title).toBe('Belt Turntable');
      await request(t.http).delete(`/api/v1/admin/products/${created.id}`).set(...bearer(admin)).expect(204);
      expect((await list('q=turntable')).total).toBe(0);
      await get(`/products/${created.slug}`).expect(404);
    });

    it('an image change', async () => {
      const target = active[1];
      expect((await cachedRead(target.slug)).images).toEqual([]);
      await cachedSearch('q=grinder');
      const uploaded = await request(t.http)
        .post(`/api/v1/admin/products/${target.id}/images`)
        .set(...bearer(admin))
        .attach('images', gradientPng(16, [10, 20, 30], [200, 100, 50]), { filename: 'a.png', contentType: 'image/png' })
        .expect(201);
      const image = uploaded.body.images[0];
      expect((await get(`/products/${target.slug}`).expect(200)).body.images).toEqual([image]);
      expect((await list('q=grinder')).items[0].images).toEqual([image]);
      await request(t.http).delete(`/api/v1/admin/products/${target.id}/images/${image.id}`).set(...bearer(admin)).expect(204);
      expect((await get(`/products/${target.slug}`).expect(200)).body.images).toEqual([]);
    });

    it('a write through another API instance (each keeps answers in memory too)', async () => {
      // Closed in afterAll: closing a second instance mid-file makes the first one's later admin
      // writes answer 503 (seen here; the throttling suite closes its second instance last too).
      other = await anotherInstanceOf(t);
      const target = active.find((item) => item.title === 'Headphone Stand')!;
      await cachedRead(target.slug);
      await cachedSearch('q=stand');
      await request(other.http).patch(`/api/v1/admin/products/${target.id}`).set(...bearer(admin)).send({ price: 1234 }).expect(200);
      expect((await get(`/products/${target.slug}`).expect(200)).body.price).toBe(1234);
      expect((await list('q=stand')).items[0].price).toBe(1234);
      target.price = 1234;
    });

    describe('stock is not content: a sale keeps cached answers and lays the live stock over them', () => {
      /** An order for `quantity` units of the product's one variant. */
      const sale = (product: Item, quantity: number, through = t) => {
        const orderId = new Types.ObjectId().toHexString();
        const lines = [{ productId: product.id, variantId: product.variants[0].id, quantity }];
        return {
          take: () => through.app.get(InventoryService).allocate(orderId, lines),
          giveBack: () => t.app.get(InventoryService).release(orderId, lines),
        };
      };
      /** What a sale may change in an answer: the stock figures and `updatedAt`. */
      const withoutFigures = (item: Item) => ({ ...item, stock: 0, updatedAt: '', variants: item.variants.map((variant) => ({ ...variant, stock: 0 })) });

      it('an allocation shows the new stock in the very next read, without computing the listing again', async () => {
        const target = active.find((item) => item.title === 'Espresso Cup Set')!;
        const query = 'category=kitchen&sort=price_asc&limit=100';
        const before = await cachedSearch(query);
        const stockIn = (body: { items: Item[] }) => body.items.find((item) => item.id === target.id)!.stock;
        expect(stockIn(before)).toBe(target.stock);
        const etag = (await get(`/products?${query}`).expect(200)).headers.etag;
        await cachedRead(target.slug);

        // Sold through the other API instance (opened above): this one keeps its answers in memory.
        expect(other).toBeDefined();
        const order = sale(target, 2, other);
        await order.take();
        let after: request.Response | undefined;
        // One query for the page's stock; the listing itself (an aggregation) is not run again.
        expect(await dbCommandsDuring(t.connection, async () => (after = await get(`/products?${query}`).set('If-None-Match', etag).expect(200)))).toEqual(['find']);
        expect(stockIn(after!.body)).toBe(target.stock - 2);
        expect(after!.headers['cache-status']).toBe('shop-api; hit; detail=figures');
        expect(after!.headers.etag).not.toBe(etag);
        expect(stockIn(after!.body)).toBe(after!.body.items.find((item: Item) => item.id === target.id).variants[0].stock);
        expect({ ...after!.body, items: after!.body.items.map(withoutFigures) }).toEqual({ ...before, items: before.items.map(withoutFigures) });
        expect((await get(`/products/${target.slug}`).expect(200)).body.stock).toBe(target.stock - 2);
        // Laid over once: the next identical read costs no database work, and its tag holds.
        expect(await dbCommandsDuring(t.connection, () => get(`/products?${query}`).set('If-None-Match', after!.headers.etag).expect(304))).toEqual([]);

        await order.giveBack();
        expect(stockIn(await list(query))).toBe(target.stock);
        expect((await get(`/products/${target.slug}`).expect(200)).body.stock).toBe(target.stock);
      });

      it('selling the last unit takes the product out of inStock=true at once; other answers only get the figure', async () => {
        const target = active.find((item) => item.title === 'Sticker Pack 1')!;
        expect(target.stock).toBe(1);
        const inStock = 'inStock=true&category=kitchen&limit=100';
        const all = 'category=kitchen&sort=newest&limit=100';
        const before = await cachedSearch(inStock);
        expect(before.items.map((item: Item) => item.id)).toContain(target.id);
        await cachedSearch(all);

        const order = sale(target, 1);
        await order.take();
        const soldOut = await list(inStock);
        expect(soldOut.items.map((item: Item) => item.id)).not.toContain(target.id);
        expect(soldOut.total).toBe(before.total - 1);
        expect(soldOut.facets.brands.find((facet: { value: string }) => facet.value === 'Paperie').count).toBe(
          before.facets.brands.find((facet: { value: string }) => facet.value === 'Paperie').count - 1,
        );
        // The listing without the filter does not depend on availability: only its figures are read.
        let unfiltered: { items: Item[] } | undefined;
        expect(await dbCommandsDuring(t.connection, async () => (unfiltered = (await get(`/products?${all}`).expect(200)).body))).toEqual(['find']);
        expect(unfiltered!.items.find((item) => item.id === target.id)!.stock).toBe(0);

        await order.giveBack();
        expect((await list(inStock)).items.map((item: Item) => item.id)).toContain(target.id);
        expect((await list(all)).items.find((item: Item) => item.id === target.id)!.stock).toBe(1);
      });

      it("a variant's sale shows in the very next read of its product, and selling out every variant takes it out of inStock=true", async () => {
        const created = (
          await request(t.http)
            .post('/api/v1/admin/products')
            .set(...bearer(admin))
            .send({
              title: 'Tote Bag',
              description: 'Canvas.',
              brand: 'Woodcraft',
              category: 'audio',
              options: [{ name: 'Size', values: ['S', 'M'] }],
              variants: [
                { sku: 'tote-s', options: { Size: 'S' }, price: 1200, stock: 1 },
                { sku: 'tote-m', options: { Size: 'M' }, price: 1400, stock: 2 },
              ],
            })
            .expect(201)
        ).body as Item;
        const size = (product: Item, name: string) => product.variants.find((variant) => variant.options.Size === name)!;
        const inStock = 'inStock=true&q=tote';
        expect(titles(await cachedSearch(inStock))).toEqual(['Tote Bag']);
        expect(size(await cachedRead(created.slug), 'S').stock).toBe(1);

        const take = (variant: string, quantity: number) =>
          t.app.get(InventoryService).allocate(new Types.ObjectId().toHexString(), [{ productId: created.id, variantId: size(created, variant).id, quantity }]);
        await take('S', 1);
        const afterS = (await get(`/products/${created.slug}`).expect(200)).body;
        expect({ stock: afterS.stock, s: size(afterS, 'S').stock, m: size(afterS, 'M').stock }).toEqual({ stock: 2, s: 0, m: 2 });
        expect(titles(await list(inStock))).toEqual(['Tote Bag']);
        await take('M', 2);
        expect((await list(inStock)).total).toBe(0);
        const soldOut = (await get(`/products/${created.slug}`).expect(200)).body;
        expect({ stock: soldOut.stock, s: size(soldOut, 'S').stock, m: size(soldOut, 'M').stock }).toEqual({ stock: 0, s: 0, m: 0 });
        await request(t.http).delete(`/api/v1/admin/products/${created.id}`).set(...bearer(admin)).expect(204);
      });

      it('a rating change shows in the next read and reorders sort=rating', async () => {
        const target = active.find((item) => item.title === 'Headphone Stand')!;
        const best = async () => (await list('sort=rating&limit=1')).items[0].id;
        const leader = await best();
        expect(leader).not.toBe(target.id);
        await list('sort=rating&limit=1');
        await cachedRead(target.slug);
        const seen = { ratingSum: target.ratingAverage * target.ratingCount, ratingCount: target.ratingCount, ratingAverage: target.ratingAverage };
        expect(await store.replaceRating(new Types.ObjectId(target.id), seen, { sum: 500, count: 100 })).toBe(true);
        expect(await best()).toBe(target.id);
        expect((await get(`/products/${target.slug}`).expect(200)).body).toMatchObject({ ratingAverage: 5, ratingCount: 100 });
        expect(await store.replaceRating(new Types.ObjectId(target.id), { ratingSum: 500, ratingCount: 100, ratingAverage: 5 }, { sum: seen.ratingSum, count: seen.ratingCount })).toBe(true);
        expect(await best()).toBe(leader);
        expect((await get(`/products/${target.slug}`).expect(200)).body).toMatchObject({ ratingAverage: target.ratingAverage, ratingCount: target.ratingCount });
      });

      describe('only the answers showing what sold read its figures', () => {
        const kitchen = 'category=kitchen&sort=newest&limit=100';
        const audio = 'category=audio&sort=newest&limit=100';
        const stockOf = (body: { items: Item[] }, product: Item) => body.items.find((item) => item.id === product.id)!.stock;
        /** The read, with the database commands it sent. */
        const readCounting = async (query: string) => {
          let res: request.Response | undefined;
          const commands = await dbCommandsDuring(t.connection, async () => (res = await get(`/products?${query}`).expect(200)));
          return { commands, body: res!.body as { items: Item[] }, cacheStatus: res!.headers['cache-status'] };
        };

        it('a sale through another instance: the listing without the product stays a hit with no database command, the one with it shows the sale', async () => {
          const target = active.find((item) => item.title === 'Headphone Stand')!;
          const kitchenBefore = await cachedSearch(kitchen);
          await cachedSearch(audio);
          expect(other).toBeDefined();
          const order = sale(target, 1, other);
          await order.take();

          const kitchenAfter = await readCounting(kitchen);
          expect(kitchenAfter).toMatchObject({ commands: [], cacheStatus: 'shop-api; hit' });
          expect(kitchenAfter.body).toEqual(kitchenBefore);
          // Of the listing's products, only the one sold is read.
          const finds: unknown[] = [];
          const listener = (event: CommandStartedEvent) => event.commandName === 'find' && finds.push(event.command.filter);
          t.connection.getClient().on('commandStarted', listener);
          const audioAfter = await readCounting(audio).finally(() => t.connection.getClient().off('commandStarted', listener));
          expect(audioAfter).toMatchObject({ commands: ['find'], cacheStatus: 'shop-api; hit; detail=figures' });
          expect(audioAfter.body.items.length).toBeGreaterThan(1);
          expect(finds).toEqual([{ _id: { $in: [new Types.ObjectId(target.id)] } }]);
          expect(stockOf(audioAfter.body, target)).toBe(target.stock - 1);
          expect((await get(`/products/${target.slug}`).expect(200)).body.stock).toBe(target.stock - 1);

          await order.giveBack();
          expect(stockOf(await list(audio), target)).toBe(target.stock);
          expect(await readCounting(kitchen)).toMatchObject({ commands: [], cacheStatus: 'shop-api; hit' });
        });

        it('with the record of moves lost (a Redis flush or eviction), every answer reads its figures again and shows every sale', async () => {
          const sold = active.find((item) => item.title === 'Espresso Cup Set')!;
          const elsewhere = active.find((item) => item.title === 'Wireless Headphones')!;
          await cachedSearch(kitchen);
          const first = sale(sold, 1);
          await first.take();
          // The record of that sale is lost; a later sale of another product starts a new one.
          await t.app.get<Redis>(REDIS).del('catalog:figures-moves');
          const second = sale(elsewhere, 1);
          await second.take();

          const after = await readCounting(kitchen);
          expect(after).toMatchObject({ commands: ['find'], cacheStatus: 'shop-api; hit; detail=figures' });
          expect(stockOf(after.body, sold)).toBe(sold.stock - 1);
          await first.giveBack();
          await second.giveBack();
          expect(stockOf(await list(kitchen), sold)).toBe(sold.stock);
        });

        it('a record of moves grown to its bound starts over: every answer reads its figures once, then only what sells is read', async () => {
          const sold = active.find((item) => item.title === 'Espresso Cup Set')!;
          const redis = t.app.get<Redis>(REDIS);
          await cachedSearch(kitchen);
          // Moves of products no answer shows, up to the bound.
          const present = await redis.hlen('catalog:figures-moves');
          for (let start = present; start < MOVES_KEPT_AT_MOST; start += 10_000) {
            const fields = Array.from({ length: Math.min(10_000, MOVES_KEPT_AT_MOST - start) }, (_, index) => [`filler-${start + index}`, '1']).flat();
            await redis.hset('catalog:figures-moves', ...fields);
          }
          expect(await redis.hlen('catalog:figures-moves')).toBeGreaterThanOrEqual(MOVES_KEPT_AT_MOST);
          const first = sale(sold, 1);
          await first.take();
          expect(await redis.hlen('catalog:figures-moves')).toBeLessThan(10);

          const after = await readCounting(kitchen);
          expect(after).toMatchObject({ commands: ['find'], cacheStatus: 'shop-api; hit; detail=figures' });
          expect(stockOf(after.body, sold)).toBe(sold.stock - 1);
          const elsewhere = sale(active.find((item) => item.title === 'Wireless Headphones')!, 1);
          await elsewhere.take();
          expect(await readCounting(kitchen)).toMatchObject({ commands: [], cacheStatus: 'shop-api; hit' });
          await first.giveBack();
          await elsewhere.giveBack();
          expect(stockOf(await list(kitchen), sold)).toBe(sold.stock);
        });

        it('a bump that records no moves (a process of an earlier version during a rolling deploy) makes every answer read its figures again', async () => {
          const sold = active.find((item) => item.title === 'Espresso Cup Set')!;
          await cachedSearch(kitchen);
          // What a process of the version before moves were recorded did for a sale: the write, then the counter alone.
          const products = t.connection.collection('products');
          const redis = t.app.get<Redis>(REDIS);
          const sellOne = async (delta: number) => {
            await products.updateOne({ _id: new Types.ObjectId(sold.id) }, { $inc: { stock: delta, 'variants.0.stock': delta } });
            await redis.incr('catalog:figures-version');
          };
          await sellOne(-1);
          // A sale elsewhere afterwards is recorded: the record alone would say the listing's products did not move.
          const elsewhere = sale(active.find((item) => item.title === 'Wireless Headphones')!, 1);
          await elsewhere.take();

          const after = await readCounting(kitchen);
          expect(after).toMatchObject({ commands: ['find'], cacheStatus: 'shop-api; hit; detail=figures' });
          expect(stockOf(after.body, sold)).toBe(sold.stock - 1);
          await sellOne(1);
          await elsewhere.giveBack();
          expect(stockOf(await list(kitchen), sold)).toBe(sold.stock);
        });
      });
    });

    it('a category rename', async () => {
      const categories = (await get('/categories').expect(200)).body as { id: string; name: string; slug: string }[];
      const kitchen = categories.find((category) => category.slug === 'kitchen')!;
      await get('/categories').expect(200);
      const target = active[1];
      await cachedRead(target.slug);
      expect((await cachedSearch('category=kitchen')).total).toBeGreaterThan(0);
      await request(t.http)
        .patch(`/api/v1/admin/categories/${kitchen.id}`)
        .set(...bearer(admin))
        .send({ name: 'Kitchen & Dining', slug: 'kitchen-dining' })
        .expect(200);
      expect((await get('/categories').expect(200)).body).toContainEqual({ id: kitchen.id, name: 'Kitchen & Dining', slug: 'kitchen-dining' });
      expect((await get(`/products/${target.slug}`).expect(200)).body.category).toBe('kitchen-dining');
      expect((await list('category=kitchen')).total).toBe(0);
      const moved = await list('category=kitchen-dining&limit=100');
      expect(moved.total).toBe(active.filter((item) => item.category === 'kitchen').length);
      expect(titles(await list('q=dining%20grind'))).toEqual(['Café Crème Grinder']);
    });
  });
});
