import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';
import { Received, Receiver } from './support/webhook-receiver';
import { ProductOutboxRelay } from '../src/products/outbox/product-outbox-relay';
import { ProductStore } from '../src/products/products.store';

interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: string;
}

const PRODUCT_EVENTS = ['product.created', 'product.updated', 'product.deleted'];

/**
 * Product events and `stock.low`, recorded by the product's own writes and sent by the worker
 * (run in the API here) to a real receiver.
 */
describe('Outgoing webhooks: product events and stock.low', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    ({ t, admin, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true', LOW_STOCK_THRESHOLD: '5', MAX_UNPAID_ORDERS: '100' } }));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  async function endpoint(path: string, events: string[]): Promise<{ id: string }> {
    return (await request(t.http).post('/api/v1/admin/webhooks').set(...bearer(admin)).send({ url: receiver.url(path), events }).expect(201)).body;
  }

  /** Waits until the endpoint has `count` deliveries, all delivered. */
  async function delivered(endpointId: string, count: number): Promise<Delivery[]> {
    let items: Delivery[] = [];
    await waitFor(async () => {
      items = (await request(t.http).get(`/api/v1/admin/webhooks/${endpointId}/deliveries`).set(...bearer(admin)).query({ limit: 100 }).expect(200)).body.items;
      return items.length >= count && items.every((item) => item.status === 'delivered');
    }, `${count} delivered deliveries of endpoint ${endpointId}`, 30_000);
    expect(items).toHaveLength(count);
    return items;
  }

  const aboutProduct = (path: string, productId: string) => receiver.at(path).filter((item) => item.body.data.id === productId || item.body.data.productId === productId);
  const bySequence = (items: Received[]) => [...items].sort((a, b) => a.body.sequence - b.body.sequence);

  it('creating, editing and archiving a product delivers product.created, .updated, .deleted in increasing sequence, each once', async () => {
    const path = '/catalog';
    const hook = await endpoint(path, PRODUCT_EVENTS);
    const { id } = await shop.createProduct({ stock: 3 });
    await request(t.http).patch(`/api/v1/admin/products/${id}`).set(...bearer(admin)).send({ title: 'Renamed for receivers' }).expect(200);
    // A stock count is a stock verb: no product.updated.
    await request(t.http).patch(`/api/v1/admin/products/${id}`).set(...bearer(admin)).send({ stock: 9 }).expect(200);
    await request(t.http).delete(`/api/v1/admin/products/${id}`).set(...bearer(admin)).expect(204);
    // Archiving it again changes nothing and records nothing.
    await request(t.http).delete(`/api/v1/admin/products/${id}`).set(...bearer(admin)).expect(204);
    // A later product's event, delivered, shows the stream got past anything the writes above could have queued.
    const { id: marker } = await shop.createProduct();

    const deliveries = await delivered(hook.id, 4);
    const got = bySequence(aboutProduct(path, id));
    expect(got.map((item) => item.body.type)).toEqual(['product.created', 'product.updated', 'product.deleted']);
    expect(got.map((item) => item.body.sequence)).toEqual([1, 2, 3]);
    expect(new Set(got.map((item) => item.body.id)).size).toBe(3);
    for (const item of got) expect(item.headers['shop-webhook-id']).toBe(item.body.id);
    expect(got[1].body.data).toMatchObject({ id, title: 'Renamed for receivers' });
    expect(got[2].body.data).toMatchObject({ id, status: 'archived' });
    // The public shape: nothing of the stock records or the outbox.
    expect(got[0].raw).not.toMatch(/stockMovement|outbox|eventSequence|lowStockSignalled/);
    expect(new Set(deliveries.map((item) => item.eventId))).toEqual(new Set([...got.map((item) => item.body.id), aboutProduct(path, marker)[0].body.id]));
  });

  it('concurrent edits of one product each send one product.updated, numbered 2…6 without gaps or repeats', async () => {
    const path = '/racing-edits';
    const hook = await endpoint(path, ['product.created', 'product.updated']);
    const { id } = await shop.createProduct();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => request(t.http).patch(`/api/v1/admin/products/${id}`).set(...bearer(admin)).send({ description: `Edit ${n}` })),
    );
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);

    await delivered(hook.id, 6);
    const got = bySequence(aboutProduct(path, id));
    expect(got.map((item) => item.body.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.map((item) => item.body.type)).toEqual(['product.created', ...Array(5).fill('product.updated')]);
    expect(new Set(got.map((item) => item.body.id)).size).toBe(6);
  });

  it('a product write that fails (400, 409) delivers nothing', async () => {
    const path = '/refused';
    const { id: other } = await shop.createProduct();
    const otherSku = (await shop.adminProduct(other)) as unknown as { variants: { sku: string }[] };
    const hook = await endpoint(path, PRODUCT_EVENTS);
    const { id } = await shop.createProduct();
    await request(t.http).patch(`/api/v1/admin/products/${id}`).set(...bearer(admin)).send({ title: '' }).expect(400);
    await request(t.http).patch(`/api/v1/admin/products/${id}`).set(...bearer(admin)).send({ category: 'no-such-category' }).expect(400);
    await request(t.http)
      .post(`/api/v1/admin/products/${id}/variants`)
      .set(...bearer(admin))
      .send({ sku: otherSku.variants[0].sku, options: {}, price: 500, stock: 1 })
      .expect(409);
    await request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send({ title: 'No price' }).expect(400);
    const { id: marker } = await shop.createProduct();

    await delivered(hook.id, 2);
    expect(aboutProduct(path, id).map((item) => item.body.type)).toEqual(['product.created']);
    expect(aboutProduct(path, marker).map((item) => item.body.type)).toEqual(['product.created']);
  });

  it('an event whose relay did not run (a crash after the write) stays in the outbox and the sweep delivers it, once', async () => {
    const path = '/swept';
    const hook = await endpoint(path, PRODUCT_EVENTS);
    const store = t.app.get(ProductStore);
    const relay = t.app.get(ProductOutboxRelay);
    store.onEventsRecorded(async () => undefined); // the process "dies" between the write and the hand-over
    let id: string;
    try {
      ({ id } = await shop.createProduct());
    } finally {
      store.onEventsRecorded((productId) => relay.afterWrite(productId));
    }
    const outbox = async () => (await t.connection.collection('products').findOne({ _id: new Types.ObjectId(id) }))!.outbox as unknown[];
    expect(await outbox()).toHaveLength(1);
    // Within the grace period the sweep leaves it to the relay of the write.
    expect(await relay.sweep(new Date())).toBe(0);
    const later = new Date(Date.now() + 60_000);
    expect(await relay.sweep(later)).toBe(1);
    expect(await outbox()).toHaveLength(0);
    expect(await relay.sweep(later)).toBe(0);

    const [delivery] = await delivered(hook.id, 1);
    expect(aboutProduct(path, id)).toHaveLength(1);
    expect(aboutProduct(path, id)[0].body).toMatchObject({ id: delivery.eventId, type: 'product.created', sequence: 1 });
  });

  it('neither the low-stock flag nor handing the event over changes the product: its updatedAt stays the sale\'s, as cached answers show it', async () => {
    const path = '/low-quiet';
    await endpoint(path, ['stock.low']);
    const { id } = await shop.createProduct({ stock: 8 });
    const buyer = await registerCustomer(t, 'low-quiet');
    await shop.addToCart(buyer, id, 3).expect(200);
    expect((await shop.checkout(buyer)).status).toBe(201);
    const stored = async () => (await t.connection.collection('products').findOne({ _id: new Types.ObjectId(id) }))!;
    // The sale crossed the threshold (8 → 5): the flag is set and stock.low waits in the outbox until the relay hands it over.
    await waitFor(async () => (await stored()).outbox.length === 0, 'stock.low handed over');
    await waitFor(async () => aboutProduct(path, id).length === 1, 'stock.low received');
    const product = await stored();
    expect(product.variants[0].lowStockSignalled).toBe(true);
    const movements = (await request(t.http).get(`/api/v1/admin/products/${id}/stock-movements`).set(...bearer(admin)).expect(200)).body as { kind: string; at: string }[];
    expect(movements[0].kind).toBe('allocation');
    // The last change of the product is the allocation; a cached answer refreshed after it shows that time, and so does MongoDB.
    expect((product.updatedAt as Date).toISOString()).toBe(movements[0].at);
    expect((await request(t.http).get(`/api/v1/products/${id}`).expect(200)).body.updatedAt).toBe(movements[0].at);
  });

  /** `count` customers each put one unit in a cart, then all check out at once; the answers' statuses. */
  async function concurrentBuyers(productId: string, count: number, name: string): Promise<number[]> {
    const buyers = await Promise.all(Array.from({ length: count }, (_, index) => registerCustomer(t, `${name}-${index}`)));
    for (const buyer of buyers) await shop.addToCart(buyer, productId, 1).expect(200);
    return (await Promise.all(buyers.map((buyer) => shop.checkout(buyer)))).map((res) => res.status);
  }

  it('10 buyers racing for 8 units send exactly one stock.low at the threshold; restocked above and sold below again, a second one', async () => {
    const path = '/low';
    const hook = await endpoint(path, ['stock.low']);
    const { id } = await shop.createProduct({ stock: 8 });
    const product = (await shop.adminProduct(id)) as unknown as { variants: { id: string; sku: string }[] };
    const variant = product.variants[0];

    const statuses = await concurrentBuyers(id, 10, 'low-race');
    expect(statuses.filter((status) => status === 201)).toHaveLength(8);
    expect(statuses.filter((status) => status === 409)).toHaveLength(2);
    expect((await shop.adminProduct(id)).stock).toBe(0);

    const [first] = await delivered(hook.id, 1);
    const [signal] = aboutProduct(path, id);
    expect(signal.body).toMatchObject({ id: first.eventId, type: 'stock.low', data: { productId: id, variantId: variant.id, sku: variant.sku, stock: 5, threshold: 5 } });

    // Restock to 10 (above the threshold: the flag clears), then sell 5 → 5 again: a new crossing.
    await request(t.http).post(`/api/v1/admin/products/${id}/stock-adjustments`).set(...bearer(admin)).send({ delta: 10, reason: 'delivery from supplier' }).expect(201);
    expect((await shop.adminProduct(id)).stock).toBe(10);
    const again = await concurrentBuyers(id, 5, 'low-again');
    expect(again.every((status) => status === 201)).toBe(true);

    await delivered(hook.id, 2);
    const signals = bySequence(aboutProduct(path, id));
    expect(signals).toHaveLength(2);
    expect(signals[1].body).toMatchObject({ type: 'stock.low', data: { variantId: variant.id, stock: 5, threshold: 5 } });
    expect(signals[1].body.sequence).toBeGreaterThan(signals[0].body.sequence);
    expect(signals[1].body.id).not.toBe(signals[0].body.id);
  });
});
