import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';
import { Receiver } from './support/webhook-receiver';
import { OrderStore } from '../src/orders/order.store';
import { ProductStore } from '../src/products/products.store';
import { StockMovementStore } from '../src/products/stock-movements/stock-movement.store';
import { StockVerifier } from '../src/stock-verify/stock-verifier';

interface Entry {
  action: string;
  before: Record<string, unknown> & { variants?: Variant[] };
  after: Record<string, unknown> & { variants?: Variant[] };
}

interface Variant {
  _id?: string;
  id?: string;
  variantId?: string;
  sku: string;
  price: number;
  stock: number;
  stockOnHand: number;
  stockAllocated: number;
  status: string;
}

interface Movement {
  kind: string;
  delta: number;
}

/**
 * Issue 26: one admin save of a product (or of one variant) is one store write, so it sends one
 * `product.updated` and leaves one audit entry whose before and after are exactly the product
 * just before and just after that write, even with checkouts taking stock at the same time.
 */
describe('Admin saves: one write, one event, one exact audit entry', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  const receiver = new Receiver();
  const path = '/saves';

  beforeAll(async () => {
    await receiver.start();
    ({ t, admin, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true', LOW_STOCK_THRESHOLD: '5', MAX_UNPAID_ORDERS: '100' } }));
    await request(t.http)
      .post('/api/v1/admin/webhooks')
      .set(...bearer(admin))
      .send({ url: receiver.url(path), events: ['product.created', 'product.updated', 'product.deleted'] })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  const patch = (id: string, body: object) => request(t.http).patch(`/api/v1/admin/products/${id}`).set(...bearer(admin)).send(body);
  const patchVariant = (id: string, variantId: string, body: object) =>
    request(t.http).patch(`/api/v1/admin/products/${id}/variants/${variantId}`).set(...bearer(admin)).send(body);
  const entriesOf = async (id: string, action: string): Promise<Entry[]> =>
    ((await request(t.http).get(`/api/v1/admin/audit-log?entityId=${id}&limit=100`).set(...bearer(admin)).expect(200)).body.items as Entry[]).filter(
      (entry) => entry.action === action,
    );
  const eventSequence = async (id: string) => (await t.connection.collection('products').findOne({ _id: new Types.ObjectId(id) }))!.eventSequence as number;
  const movements = async (id: string): Promise<Movement[]> =>
    (await request(t.http).get(`/api/v1/admin/products/${id}/stock-movements`).set(...bearer(admin)).expect(200)).body.reverse();
  /** The events delivered about the product, once a later product's creation was delivered too (nothing of ours is still on its way). */
  async function deliveredAbout(id: string): Promise<string[]> {
    const { id: marker } = await shop.createProduct();
    await waitFor(async () => receiver.at(path).some((item) => item.body.data.id === marker), 'the marker product delivered', 30_000);
    const about = receiver.at(path).filter((item) => item.body.data.id === id);
    return [...about].sort((a, b) => a.body.sequence - b.body.sequence).map((item) => `${item.body.type}#${item.body.sequence}`);
  }
  /** stock:verify's checks on these products: counters against each other, the movements and the open orders. */
  async function drifts(ids: string[]) {
    const verifier = new StockVerifier(t.app.get(ProductStore), t.app.get(OrderStore, { strict: false }), t.app.get(StockMovementStore));
    return (await verifier.verify()).drifts.filter((drift) => ids.includes(drift.productId));
  }
  /**
   * The values of `field` from `first` on, each entry taking the value its before holds to its
   * after. With distinct befores, a chain one longer than the entries means they were applied one
   * after the other, each before being the original or the previous save's after.
   */
  function chainOf(entries: Entry[], field: string, first: unknown): unknown[] {
    expect(new Set(entries.map((entry) => entry.before[field])).size).toBe(entries.length);
    const next = new Map(entries.map((entry) => [entry.before[field], entry.after[field]]));
    const chain = [first];
    while (next.has(chain[chain.length - 1]) && chain.length <= entries.length) chain.push(next.get(chain[chain.length - 1]));
    return chain;
  }
  /** `count` customers with one unit of the product in their carts, ready to check out. */
  async function buyersOf(productId: string, count: number, tag: string): Promise<Account[]> {
    const buyers = await Promise.all(Array.from({ length: count }, (_, index) => registerCustomer(t, `${tag}-${index}`)));
    for (const buyer of buyers) await shop.addToCart(buyer, productId, 1).expect(200);
    return buyers;
  }

  it('a PATCH of price, title and stock is one write: one product.updated (sequence +1) and one entry with the old and new values', async () => {
    const { id } = await shop.createProduct({ price: 1000, stock: 10 });
    const title = `Saved once ${randomBytes(2).toString('hex')}`;
    const sequence = await eventSequence(id);

    const res = await patch(id, { price: 1500, title, stock: 14 }).expect(200);
    expect(res.body).toMatchObject({ price: 1500, title, stock: 14, stockOnHand: 14, stockAllocated: 0 });

    expect(await eventSequence(id)).toBe(sequence + 1);
    expect(await deliveredAbout(id)).toEqual(['product.created#1', 'product.updated#2']);
    const entries = await entriesOf(id, 'product.updated');
    expect(entries).toHaveLength(1);
    expect(entries[0].before).toMatchObject({ price: 1000, stock: 10, stockOnHand: 10, variants: [{ price: 1000, stockOnHand: 10 }] });
    expect(entries[0].before.title).not.toBe(title);
    expect(entries[0].after).toMatchObject({ price: 1500, title, stock: 14, stockOnHand: 14, variants: [{ price: 1500, stockOnHand: 14, stock: 14 }] });
    // The count is a stock movement of its own, recorded by the same write.
    expect((await movements(id)).map((movement) => [movement.kind, movement.delta])).toEqual([
      ['opening', 10],
      ['count', 4],
    ]);
    // What the answer and the log say after is what is stored.
    expect(await shop.adminProduct(id)).toMatchObject({ price: 1500, title, stock: 14, stockOnHand: 14 });

    // A count alone is a stock verb: an entry, no product.updated.
    await patch(id, { stock: 12 }).expect(200);
    expect(await eventSequence(id)).toBe(sequence + 1);
    const [count] = await entriesOf(id, 'product.updated');
    expect(count).toMatchObject({ before: { stockOnHand: 14 }, after: { stockOnHand: 12, stock: 12 } });
  });

  it('a variant PATCH of sku, price, status and stock is one write: one product.updated and one entry with the variant before and after', async () => {
    const category = (await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: `Saves ${randomBytes(2).toString('hex')}` }).expect(201)).body.slug;
    const tag = randomBytes(3).toString('hex');
    const created = (
      await request(t.http)
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({
          title: `Shirt ${tag}`,
          description: 'Cotton.',
          brand: 'Tees',
          category,
          options: [{ name: 'Size', values: ['S', 'M'] }],
          variants: [
            { sku: `s-${tag}`, options: { Size: 'S' }, price: 2000, stock: 4 },
            { sku: `m-${tag}`, options: { Size: 'M' }, price: 2500, stock: 6 },
          ],
        })
        .expect(201)
    ).body as { id: string; variants: Variant[] };
    const medium = created.variants.find((variant) => variant.sku === `m-${tag}`)!;
    const sequence = await eventSequence(created.id);

    const res = await patchVariant(created.id, medium.id!, { sku: `m2-${tag}`, price: 1800, stock: 9 }).expect(200);
    expect(res.body).toMatchObject({ price: 1800, priceRange: { min: 1800, max: 2000 }, stock: 13, stockOnHand: 13 });

    expect(await eventSequence(created.id)).toBe(sequence + 1);
    expect(await deliveredAbout(created.id)).toEqual(['product.created#1', 'product.updated#2']);
    const entries = await entriesOf(created.id, 'product.variantUpdated');
    expect(entries).toHaveLength(1);
    expect(entries[0].before).toMatchObject({ variantId: medium.id, sku: `m-${tag}`, price: 2500, stockOnHand: 6, stock: 6, status: 'active' });
    expect(entries[0].after).toMatchObject({ variantId: medium.id, sku: `m2-${tag}`, price: 1800, stockOnHand: 9, stock: 9, status: 'active' });

    // Archiving it with a count in the same save: one write again, the product's stock follows.
    await patchVariant(created.id, medium.id!, { status: 'archived', stock: 7 }).expect(200);
    expect(await eventSequence(created.id)).toBe(sequence + 2);
    expect(await shop.adminProduct(created.id)).toMatchObject({ stock: 4, stockOnHand: 11, price: 2000 });
    expect((await entriesOf(created.id, 'product.variantUpdated'))[0]).toMatchObject({
      before: { status: 'active', stockOnHand: 9 },
      after: { status: 'archived', stockOnHand: 7, stock: 7 },
    });
    expect(await drifts([created.id])).toEqual([]);
  });

  it('checkouts taking stock while the admin edits the title: every save and every allocation lands, and each entry is its write\'s exact before', async () => {
    const { id, title: original } = (await shop.createProduct({ stock: 40 })) as unknown as { id: string; title: string };
    const buyers = await buyersOf(id, 12, 'saves-title');
    const titles = ['Renamed A', 'Renamed B', 'Renamed C', 'Renamed D'];

    const [checkouts, saves] = await Promise.all([
      Promise.all(buyers.map((buyer) => shop.checkout(buyer))),
      Promise.all(titles.map((title) => patch(id, { title }))),
    ]);
    expect(checkouts.map((res) => res.status)).toEqual(Array(12).fill(201));
    // Stock movements never make a content edit fail.
    expect(saves.map((res) => res.status)).toEqual(Array(4).fill(200));

    expect(await shop.adminProduct(id)).toMatchObject({ stockOnHand: 40, stockAllocated: 12, stock: 28 });
    expect(await drifts([id])).toEqual([]);
    const entries = await entriesOf(id, 'product.updated');
    expect(entries).toHaveLength(4);
    // The saves were applied one after the other: each one's before is the original or another one's after, never one before twice.
    expect(chainOf(entries, 'title', original)).toHaveLength(5);
    expect((await shop.adminProduct(id)) as unknown as { title: string }).toMatchObject({ title: chainOf(entries, 'title', original)[4] });
    for (const entry of entries) {
      // Each snapshot is one state of the document: sellable = on hand − allocated, in both.
      for (const state of [entry.before, entry.after]) expect(state.stock).toBe((state.stockOnHand as number) - (state.stockAllocated as number));
      // A title save leaves the stock as it found it.
      expect(entry.after).toMatchObject({ stock: entry.before.stock, stockAllocated: entry.before.stockAllocated });
    }
    expect(await deliveredAbout(id)).toEqual(['product.created#1', ...[2, 3, 4, 5].map((n) => `product.updated#${n}`)]);
  });

  it('checkouts taking stock while the admin counts it: the count lands, no allocation is undone, and the entry\'s before is the state just before the count', async () => {
    const { id } = await shop.createProduct({ stock: 30 });
    const buyers = await buyersOf(id, 12, 'saves-count');

    const [checkouts, count] = await Promise.all([Promise.all(buyers.map((buyer) => shop.checkout(buyer))), patch(id, { stock: 50, title: 'Counted and renamed' })]);
    expect(checkouts.map((res) => res.status)).toEqual(Array(12).fill(201));
    expect(count.status).toBe(200);

    expect(await shop.adminProduct(id)).toMatchObject({ stockOnHand: 50, stockAllocated: 12, stock: 38 });
    expect(await drifts([id])).toEqual([]);
    const [entry] = await entriesOf(id, 'product.updated');
    // The allocations before the count in the product's own write order are exactly those the entry's before holds.
    const history = await movements(id);
    const countAt = history.findIndex((movement) => movement.kind === 'count');
    expect(history[countAt].delta).toBe(20);
    const allocatedBefore = history.slice(0, countAt).filter((movement) => movement.kind === 'allocation').length;
    expect(entry.before).toMatchObject({ stockOnHand: 30, stockAllocated: allocatedBefore, stock: 30 - allocatedBefore });
    expect(entry.after).toMatchObject({ stockOnHand: 50, stockAllocated: allocatedBefore, stock: 50 - allocatedBefore, title: 'Counted and renamed' });
    expect(await deliveredAbout(id)).toEqual(['product.created#1', 'product.updated#2']);
  });

  it('racing price saves are applied one after the other: each entry\'s before is the original or another save\'s after', async () => {
    const { id } = await shop.createProduct({ price: 1000 });
    const prices = [1101, 1102, 1103, 1104, 1105];
    const saves = await Promise.all(prices.map((price) => patch(id, { price })));
    expect(saves.map((res) => res.status)).toEqual(Array(5).fill(200));

    const entries = await entriesOf(id, 'product.updated');
    expect(entries).toHaveLength(5);
    expect(new Set(entries.map((entry) => entry.after.price))).toEqual(new Set(prices));
    // Following the chain from the original price visits every save once and ends at the stored price.
    const chain = chainOf(entries, 'price', 1000);
    expect(chain).toHaveLength(6);
    expect((await shop.adminProduct(id)) as unknown as { price: number }).toMatchObject({ price: chain[5] });
    expect(await deliveredAbout(id)).toHaveLength(6);
  });

  it('racing edits of a settings record: each entry\'s after is its own write\'s, never a later one read back', async () => {
    const settings = (method: 'post' | 'patch', path: string, body: object) => request(t.http)[method](`/api/v1/admin/${path}`).set(...bearer(admin)).send(body);
    const rate = (await settings('post', 'tax-rates', { country: 'AT', taxClass: `race-${randomBytes(3).toString('hex')}`, rate: 2000, name: 'Racing rate' }).expect(201)).body;
    const rates = [2001, 2002, 2003, 2004, 2005, 2006];
    const saves = await Promise.all(rates.map((value) => settings('patch', `tax-rates/${rate.id}`, { rate: value })));
    expect(saves.map((res) => res.status)).toEqual(Array(6).fill(200));
    // Each answer is what its own write made.
    expect(saves.map((res) => res.body.rate)).toEqual(rates);

    const entries = (await request(t.http).get(`/api/v1/admin/audit-log?entityId=${rate.id}&limit=100`).set(...bearer(admin)).expect(200)).body.items as Entry[];
    const updates = entries.filter((entry) => entry.action === 'taxRate.updated');
    expect(updates.map((entry) => entry.after.rate).sort()).toEqual(rates);
    const chain = chainOf(updates, 'rate', 2000);
    expect(chain).toHaveLength(7);
    const listed = (await request(t.http).get('/api/v1/admin/tax-rates?limit=100').set(...bearer(admin)).expect(200)).body.items as { id: string; rate: number }[];
    expect(listed.find((item) => item.id === rate.id)!.rate).toBe(chain[6]);
  });

  it('a promotion rule over two fields holds against a racing edit of the other field (one of the two saves is refused)', async () => {
    const api = (method: 'post' | 'patch' | 'get', path: string, body?: object) => request(t.http)[method](`/api/v1/admin/promotions${path}`).set(...bearer(admin)).send(body);
    for (let round = 0; round < 4; round += 1) {
      const promotion = (await api('post', '', { name: `Race ${round}`, type: 'fixed', value: 500 }).expect(201)).body;
      // Alone each is valid: a 5 % percentage, or a fixed 200.00. Together they would be a 200 % percentage.
      const saves = await Promise.all([api('patch', `/${promotion.id}`, { type: 'percentage' }), api('patch', `/${promotion.id}`, { value: 20_000 })]);
      expect(saves.map((res) => res.status).sort()).toEqual([200, 400]);
      const stored = (await api('get', `/${promotion.id}`).expect(200)).body;
      expect(stored.type === 'percentage' ? stored.value <= 10_000 : stored.type === 'fixed').toBe(true);
      const entries = ((await request(t.http).get(`/api/v1/admin/audit-log?entityId=${promotion.id}`).set(...bearer(admin)).expect(200)).body.items as Entry[]).filter(
        (entry) => entry.action === 'promotion.updated',
      );
      expect(entries).toHaveLength(1);
      expect(entries[0].before).toMatchObject({ type: 'fixed', value: 500 });
      expect(entries[0].after).toMatchObject({ type: stored.type, value: stored.value });
    }
  });

  it('a refused save (400, 409) changes nothing, sends nothing and leaves no entry', async () => {
    const { id } = await shop.createProduct({ stock: 3 });
    const buyer = await registerCustomer(t, 'saves-holder');
    await shop.placeOrder(buyer, [[id, 2]]);
    const sequence = await eventSequence(id);
    const stored = await shop.adminProduct(id);

    await patch(id, { title: 'Not saved', stock: 1 }).expect(409); // below the 2 units orders hold
    await patch(id, { title: 'Not saved', category: 'no-such-category' }).expect(400);
    await patch(id, { price: 1, stock: 'many' }).expect(400);

    expect(await eventSequence(id)).toBe(sequence);
    expect(await shop.adminProduct(id)).toEqual(stored);
    expect(await entriesOf(id, 'product.updated')).toEqual([]);
    expect((await movements(id)).map((movement) => movement.kind)).toEqual(['opening', 'allocation']);
  });
});
