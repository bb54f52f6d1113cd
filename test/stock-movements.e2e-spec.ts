import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';
import { ProductStore } from '../src/products/products.store';
import { StockMovementRelay } from '../src/products/stock-movements/stock-movement-relay';
import { StockMovementStore } from '../src/products/stock-movements/stock-movement.store';

interface Movement {
  sequence: number;
  at: string;
  variantId: string;
  kind: string;
  delta: number;
  orderId?: string;
  actor?: string;
  reason?: string;
}

/**
 * Stock movements are written into the product document by the write that moves the stock (a
 * buffer), and the relay (`stock-movements-sweep`) moves them to `stock_movements`: the admin
 * route and stock:verify read both, so a movement shows exactly once whether it was relayed or
 * not, and the product document stays small. The relay's schedule is pushed out of the way
 * (STOCK_MOVEMENTS_SWEEP_MS one hour) so that the tests say when it runs, except the last one,
 * where two worker processes run it on their own.
 */
describe('Stock movements: buffered in the product, relayed to stock_movements', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  let relay: StockMovementRelay;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true', STOCK_MOVEMENTS_SWEEP_MS: '3600000', MAX_UNPAID_ORDERS: '100' } }));
    relay = t.app.get(StockMovementRelay);
  });
  afterEach(killProcessesLeftRunning);
  afterAll(() => t?.close());

  const movementsOf = async (productId: string, query = ''): Promise<Movement[]> =>
    (await request(t.http).get(`/api/v1/admin/products/${productId}/stock-movements${query}`).set(...bearer(admin)).expect(200)).body;
  /** The product document's buffer and count, as stored. */
  const stored = async (productId: string) => {
    const product = await t.connection.collection('products').findOne({ _id: new Types.ObjectId(productId) }, { projection: { stockMovements: 1, stockMovementSequence: 1 } });
    return { buffer: (product?.stockMovements ?? []) as { _id?: Types.ObjectId }[], sequence: product?.stockMovementSequence as number | undefined };
  };
  /** The product's relayed movements, as stored in the collection. */
  const relayed = (productId: string) => t.connection.collection('stock_movements').find({ productId: new Types.ObjectId(productId) }).sort({ sequence: 1 }).toArray();
  const buyer = (tag: string) => registerCustomer(t, `movements-${tag}`);
  const stockVerify = () =>
    promisify(execFile)(process.execPath, [join(__dirname, '..', 'dist', 'src', 'stock-verify', 'stock-verify.js')], { env: { PATH: process.env.PATH ?? '', ...t.env } });

  it('checkouts, a cancel, a count and an adjustment show once each, newest first, before and after the relay; the relay empties the buffer into the collection', async () => {
    const product = await shop.createProduct({ stock: 20 });
    const orders = [];
    for (const [index, quantity] of [1, 2, 3].entries()) orders.push(await shop.placeOrder(await buyer(`first-${index}`), [[product.id, quantity]]));
    await shop.setStatus(orders[1].id, 'cancelled').expect(200);
    await waitFor(async () => (await movementsOf(product.id)).some((movement) => movement.kind === 'release'), 'the cancelled order released');
    await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ stock: 25 }).expect(200);
    await request(t.http).post(`/api/v1/admin/products/${product.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: -2, reason: 'damaged' }).expect(201);

    const before = await movementsOf(product.id);
    expect(before.map((movement) => [movement.sequence, movement.kind, movement.delta])).toEqual([
      [7, 'adjustment', -2],
      [6, 'count', 5],
      [5, 'release', 2],
      [4, 'allocation', -3],
      [3, 'allocation', -2],
      [2, 'allocation', -1],
      [1, 'opening', 20],
    ]);
    expect(before[2].orderId).toBe(orders[1].id);
    expect(before[0]).toMatchObject({ reason: 'damaged', actor: expect.any(String) });
    expect((await stored(product.id)).buffer).toHaveLength(7);
    expect(await relayed(product.id)).toHaveLength(0);

    const { updatedAt } = await shop.adminProduct(product.id) as unknown as { updatedAt: string };
    const report = await relay.sweep(new Date());
    expect(report.copied).toBeGreaterThanOrEqual(7);
    expect(await stored(product.id)).toEqual({ buffer: [], sequence: 7 });
    // Moving movements is no change of the product: `updatedAt` (what caches and ETags follow) stays.
    expect(await shop.adminProduct(product.id)).toMatchObject({ updatedAt });
    const copies = await relayed(product.id);
    expect(copies.map((copy) => copy.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await movementsOf(product.id)).toEqual(before);

    // A new movement in the buffer, the older ones in the collection: one list.
    const late = await shop.placeOrder(await buyer('late'), [[product.id, 4]]);
    const merged = await movementsOf(product.id);
    expect(merged[0]).toMatchObject({ sequence: 8, kind: 'allocation', delta: -4, orderId: late.id });
    expect(merged.slice(1)).toEqual(before);
    expect((await stored(product.id)).buffer).toHaveLength(1);

    // Pages: `limit` newest below `before` (the last sequence of the previous page), across buffer and collection.
    const first = await movementsOf(product.id, '?limit=3');
    const second = await movementsOf(product.id, `?limit=3&before=${first[2].sequence}`);
    const rest = await movementsOf(product.id, `?before=${second[2].sequence}`);
    expect([first, second, rest].map((page) => page.map((movement) => movement.sequence))).toEqual([[8, 7, 6], [5, 4, 3], [2, 1]]);
    expect([...first, ...second, ...rest]).toEqual(merged);
    expect(await movementsOf(product.id, '?before=1')).toEqual([]);
  });

  it('a relay that stopped between copying and pulling leaves nothing twice: the list shows each movement once, the next pass only pulls', async () => {
    const product = await shop.createProduct({ stock: 9 });
    await shop.placeOrder(await buyer('crash'), [[product.id, 2]]);
    const before = await movementsOf(product.id);
    expect(before.map((movement) => movement.kind)).toEqual(['allocation', 'opening']);

    // The first half of a pass: copied, not pulled (what a crash between the two leaves).
    const buffer = (await t.app.get(ProductStore).bufferedStockMovements(product.id))!;
    const productId = new Types.ObjectId(product.id);
    expect(await t.app.get(StockMovementStore).copy(buffer.map((movement) => ({ ...movement, _id: movement._id!, productId })))).toBe(2);
    expect((await stored(product.id)).buffer).toHaveLength(2);
    expect(await relayed(product.id)).toHaveLength(2);
    expect(await movementsOf(product.id)).toEqual(before);
    expect(await movementsOf(product.id, '?limit=1')).toEqual(before.slice(0, 1));

    // The next pass copies nothing of this product again (its count of new copies is what the
    // collection gained, none of them this product's) and pulls both.
    const copiedBefore = await t.connection.collection('stock_movements').countDocuments();
    const report = await relay.sweep(new Date());
    expect((await stored(product.id)).buffer).toEqual([]);
    expect((await relayed(product.id)).map((copy) => copy.sequence)).toEqual([1, 2]);
    expect(await t.connection.collection('stock_movements').countDocuments()).toBe(copiedBefore + report.copied);
    expect(report.relayed).toBe(report.copied + 2);
    expect(await movementsOf(product.id)).toEqual(before);
  });

  it('relays racing each other and checkouts copy every movement exactly once, in write order', async () => {
    const products = await Promise.all([shop.createProduct({ stock: 50 }), shop.createProduct({ stock: 50 })]);
    const buyers = await Promise.all(Array.from({ length: 16 }, (_, index) => buyer(`race-${index}`)));
    for (const [index, account] of buyers.entries()) await shop.addToCart(account, products[index % 2].id, 1 + (index % 3)).expect(200);
    const copiedBefore = await t.connection.collection('stock_movements').countDocuments();

    let checkingOut = true;
    const reports: number[] = [];
    // Two of them in small batches (2 products, 3 movements beyond the first): many batches per run.
    const sweeper = async (index: number) => {
      while (checkingOut) reports.push((await relay.sweep(new Date(), index < 2 ? { products: 2, movements: 3 } : undefined)).copied);
    };
    const sweepers = Array.from({ length: 4 }, (_, index) => sweeper(index));
    const answers = await Promise.all(buyers.map((account) => shop.checkout(account)));
    checkingOut = false;
    await Promise.all(sweepers);
    // Four more passes at once, after the last write.
    reports.push(...(await Promise.all(Array.from({ length: 4 }, () => relay.sweep(new Date())))).map((report) => report.copied));
    expect(answers.map((res) => res.status)).toEqual(Array(buyers.length).fill(201));

    for (const product of products) {
      const { buffer, sequence } = await stored(product.id);
      expect(buffer).toEqual([]);
      const copies = await relayed(product.id);
      // One opening and one allocation per order, each once, numbered 1… in write order with no gap.
      expect(sequence).toBe(1 + buyers.length / 2);
      expect(copies.map((copy) => copy.sequence)).toEqual(Array.from({ length: sequence! }, (_, index) => index + 1));
      expect(copies.filter((copy) => copy.kind === 'allocation').map((copy) => copy.orderId.toHexString()).sort()).toEqual(
        answers.filter((res) => res.body.items[0].productId === product.id).map((res) => res.body.id).sort(),
      );
      expect((await movementsOf(product.id)).map((movement) => movement.sequence)).toEqual(copies.map((copy) => copy.sequence).reverse());
    }
    const copiedNow = await t.connection.collection('stock_movements').countDocuments();
    // The passes together copied exactly what is new in the collection: no movement twice.
    expect(reports.reduce((sum, copied) => sum + copied, 0)).toBe(copiedNow - copiedBefore);
  });

  it('movements from before ids and sequences are numbered, relayed and kept, with nothing lost', async () => {
    const product = await shop.createProduct({ stock: 10 });
    const variantId = (await shop.adminProduct(product.id) as unknown as { variants: { id: string }[] }).variants[0].id;
    const products = t.connection.collection('products');
    // As an older version stored it: movements without `_id`, no count.
    const at = new Date(Date.now() - 60_000);
    await products.updateOne(
      { _id: new Types.ObjectId(product.id) },
      {
        $set: {
          stockMovements: [
            { at, variantId: new Types.ObjectId(variantId), kind: 'opening', delta: 8 },
            { at, variantId: new Types.ObjectId(variantId), kind: 'adjustment', delta: 2, actor: new Types.ObjectId(admin.id), reason: 'found' },
          ],
        },
        $unset: { stockMovementSequence: '' },
      },
    );
    // A write of this version on top: it counts 1 while the buffer holds 3.
    const order = await shop.placeOrder(await buyer('legacy'), [[product.id, 3]]);
    const before = await movementsOf(product.id);
    expect(before.map((movement) => [movement.sequence, movement.kind, movement.delta])).toEqual([
      [3, 'allocation', -3],
      [2, 'adjustment', 2],
      [1, 'opening', 8],
    ]);
    expect(await movementsOf(product.id, '?limit=1&before=3')).toEqual(before.slice(1, 2));

    // A relay reads the buffer, a sale lands, then it numbers what it read: the sale does not make it fail.
    const store = t.app.get(ProductStore);
    const read = (await store.withBufferedStockMovements(new Date(), 1000, 1_000_000)).buffers.find((buffer) => buffer.productId.equals(product.id))!;
    expect(read.movements.map((movement) => [movement.sequence, Boolean(movement._id)])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    const second = await shop.placeOrder(await buyer('legacy-second'), [[product.id, 1]]);
    expect(await store.numberStockMovements(read)).toBe(true);
    // Another relay that read the same: already numbered, it changes nothing.
    expect(await store.numberStockMovements(read)).toBe(false);
    expect(await stored(product.id)).toMatchObject({ sequence: 4 });
    const numbered = await movementsOf(product.id);
    expect(numbered.slice(1)).toEqual(before);
    expect(numbered[0]).toMatchObject({ sequence: 4, kind: 'allocation', orderId: second.id });

    await relay.sweep(new Date());
    expect(await stored(product.id)).toEqual({ buffer: [], sequence: 4 });
    const copies = await relayed(product.id);
    expect(copies.map((copy) => [copy.sequence, copy.kind, copy.delta, copy.reason ?? null])).toEqual([
      [1, 'opening', 8, null],
      [2, 'adjustment', 2, 'found'],
      [3, 'allocation', -3, null],
      [4, 'allocation', -1, null],
    ]);
    expect(copies[2].orderId.toHexString()).toBe(order.id);
    expect(await movementsOf(product.id)).toEqual(numbered);

    const verify = await stockVerify();
    expect(verify.stdout).toMatch(/^stock:verify: \d+ products checked, 0 drifts\n$/);
  });

  it('stock:verify finds no drift with some movements relayed and some still buffered, after checkouts, cancels and counts', async () => {
    const product = await shop.createProduct({ stock: 30 });
    const placed = [];
    for (let index = 0; index < 4; index += 1) placed.push(await shop.placeOrder(await buyer(`verify-${index}`), [[product.id, 1 + index]]));
    await shop.setStatus(placed[0].id, 'cancelled').expect(200);
    await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ stock: 40 }).expect(200);
    await waitFor(async () => (await movementsOf(product.id)).some((movement) => movement.kind === 'release'), 'the cancelled order released');
    await relay.sweep(new Date());
    // Then more, left in the buffer.
    await shop.setStatus(placed[1].id, 'cancelled').expect(200);
    await waitFor(async () => (await movementsOf(product.id)).filter((movement) => movement.kind === 'release').length === 2, 'the second release');
    await Promise.all([
      shop.placeOrder(await buyer('verify-late'), [[product.id, 2]]),
      request(t.http).post(`/api/v1/admin/products/${product.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: 3, reason: 'delivery' }).expect(201),
    ]);
    expect((await relayed(product.id)).length).toBeGreaterThan(0);
    expect((await stored(product.id)).buffer.length).toBeGreaterThan(0);

    const verify = await stockVerify();
    expect(verify.stdout).toMatch(/^stock:verify: \d+ products checked, 0 drifts\n$/);
    const movements = await movementsOf(product.id);
    expect(movements.map((movement) => movement.sequence)).toEqual(Array.from({ length: movements.length }, (_, index) => movements.length - index));
  });

  it('answers 400 to a bad limit or cursor, 404 to an unknown product', async () => {
    const product = await shop.createProduct({ stock: 1 });
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'limit=1.5', 'before=0', 'before=-3', 'before=x']) {
      const res = await request(t.http).get(`/api/v1/admin/products/${product.id}/stock-movements?${query}`).set(...bearer(admin));
      expect([query, res.status]).toEqual([query, 400]);
    }
    await request(t.http).get(`/api/v1/admin/products/${new Types.ObjectId().toHexString()}/stock-movements`).set(...bearer(admin)).expect(404);
  });

  it('two worker processes relay on their own schedule, each movement once', async () => {
    const products = await Promise.all([shop.createProduct({ stock: 40 }), shop.createProduct({ stock: 40 })]);
    const workers: NodeRun[] = [0, 1].map(() => runBuilt('worker.js', { ...t.env, STOCK_MOVEMENTS_SWEEP_MS: '300', LOG_LEVEL: 'info' }));
    try {
      await waitFor(async () => workers.every((worker) => worker.output().includes("Scheduled job 'stock-movements-sweep'")), 'both workers to schedule the relay', 60_000);
      const buyers = await Promise.all(Array.from({ length: 10 }, (_, index) => buyer(`workers-${index}`)));
      const answers = await Promise.all(buyers.map((account, index) => shop.placeOrder(account, [[products[index % 2].id, 1]])));
      for (const product of products) {
        await waitFor(async () => (await stored(product.id)).buffer.length === 0, 'the workers to relay the buffer', 30_000);
        const copies = await relayed(product.id);
        expect(copies.map((copy) => copy.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(copies.filter((copy) => copy.kind === 'allocation').map((copy) => copy.orderId.toHexString()).sort()).toEqual(
          answers.filter((order) => (order.items as { productId: string }[])[0].productId === product.id).map((order) => order.id).sort(),
        );
        expect((await movementsOf(product.id)).map((movement) => movement.sequence)).toEqual([6, 5, 4, 3, 2, 1]);
      }
    } finally {
      for (const worker of workers) worker.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((worker) => worker.exit))).toEqual([0, 0]);
    }
  }, 120_000);
});
