import type { CommandStartedEvent } from 'mongodb';
import { mongo, Types } from 'mongoose';
import request from 'supertest';
import { isDuplicateKeyError, TurnBatchedFind, TurnBatchedWrites } from '@app/common';
import { formatOrderNumber, OrderNumbers } from '../src/orders/order-numbers';
import { bearer, registerCustomer } from './support/accounts';
import { dbCommandsOnCollectionsDuring } from './support/db-commands';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

interface Row {
  _id: Types.ObjectId;
  owner: string;
  n: number;
  secret?: string;
}

/**
 * MongoDB finds and inserts asked for in one turn of the event loop go as one command
 * (TurnBatchedFind, TurnBatchedWrites: the carts, products and unpaid-order slots every cart
 * request and checkout reads, the orders and slots every checkout inserts). Against the real
 * server: one command for a turn, each caller exactly what its own command would have given
 * (its documents, its own refusal), and through HTTP each checkout of a crowd its own cart.
 */
describe('MongoDB commands of one turn share one round trip', () => {
  let t: TestApp;
  let shop: Shop;
  let rows: mongo.Collection<Row>;

  beforeAll(async () => {
    ({ t, shop } = await createShopApp({ env: { MONGODB_MONITOR_COMMANDS: 'true' } }));
    rows = t.connection.getClient().db(t.connection.name).collection<Row>('turn_batch_rows');
  });
  afterAll(() => t?.close());

  /** The `commandName`s sent on the test collection while `action` runs. */
  async function commandsOnRows(action: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = [];
    const listener = (event: CommandStartedEvent) => {
      if ((event.command as Record<string, unknown>)[event.commandName] === 'turn_batch_rows') sent.push(event.commandName);
    };
    t.connection.getClient().on('commandStarted', listener);
    try {
      await action();
    } finally {
      t.connection.getClient().off('commandStarted', listener);
    }
    return sent;
  }

  it('finds of one turn: one find; each gets exactly the documents its values name, each once, in the projection; a later lone find goes alone', async () => {
    const owners = ['ann', 'bob', 'cyd', 'dee'];
    const written = owners.map((owner, n) => ({ _id: new Types.ObjectId(), owner, n, secret: 'kept out' }));
    await rows.insertMany(written);
    const [ann, bob, cyd, dee] = written.map((row) => row._id);
    const byId = new TurnBatchedFind<Row>(rows, '_id', { projection: { owner: 1 } });
    const missing = new Types.ObjectId();

    let answers: Row[][] = [];
    const sent = await commandsOnRows(async () => {
      answers = await Promise.all([
        byId.find([ann, bob]),
        byId.find([bob, cyd, bob]),
        byId.find([missing]),
        byId.find([dee, missing, ann]),
        byId.find([]),
        // The same id as a fresh ObjectId: the same document.
        byId.find([new Types.ObjectId(cyd.toHexString())]),
      ]);
    });
    expect(sent).toEqual(['find']);
    const owned = (found: Row[]) => found.map((row) => row.owner).sort();
    expect(answers.map(owned)).toEqual([['ann', 'bob'], ['bob', 'cyd'], [], ['ann', 'dee'], [], ['cyd']]);
    for (const row of answers.flat()) expect(row).toEqual({ _id: expect.any(Types.ObjectId), owner: expect.any(String) });

    // A write answered before the find is asked for shows in it.
    await rows.updateOne({ _id: ann }, { $set: { owner: 'ann renamed' } });
    const alone = await commandsOnRows(async () => expect(owned(await byId.find([ann]))).toEqual(['ann renamed']));
    expect(alone).toEqual(['find']);
  });

  it('a find by a field several documents share, with a condition every find adds: each value gets all its documents that meet it', async () => {
    const owner = `many-${Date.now()}`;
    const other = `${owner}-other`;
    await rows.insertMany([0, 1, 2, 3, 4].map((n) => ({ _id: new Types.ObjectId(), owner, n })));
    await rows.insertMany([0, 5].map((n) => ({ _id: new Types.ObjectId(), owner: other, n })));
    const byOwner = new TurnBatchedFind<Row>(rows, 'owner', { also: { n: { $lt: 3 } }, mostPerValue: 3 });
    let answers: Row[][] = [];
    const sent = await commandsOnRows(async () => {
      answers = await Promise.all([byOwner.find([owner]), byOwner.find([other]), byOwner.find([owner, other])]);
    });
    expect(sent).toEqual(['find']);
    const numbers = (found: Row[]) => found.map((row) => `${row.owner === owner ? 'a' : 'b'}${row.n}`).sort();
    expect(answers.map(numbers)).toEqual([['a0', 'a1', 'a2'], ['b0'], ['a0', 'a1', 'a2', 'b0']]);
  });

  it('a find the server refuses fails every find of its turn, and the next turn works again', async () => {
    const owner = `refused-${Date.now()}`;
    await rows.insertOne({ _id: new Types.ObjectId(), owner, n: 0 });
    const refused = new TurnBatchedFind<Row>(rows, 'owner', { also: { $nonsense: 1 } as mongo.Filter<Row> });
    const outcomes = await Promise.allSettled([refused.find([owner]), refused.find(['nobody'])]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    const fine = new TurnBatchedFind<Row>(rows, 'owner');
    await expect(Promise.all([fine.find([owner]), fine.find(['nobody'])])).resolves.toEqual([[expect.objectContaining({ owner })], []]);
  });

  it('a projection without the field the documents are shared out by is refused when built', () => {
    expect(() => new TurnBatchedFind<Row>(rows, 'owner', { projection: { n: 1 } })).toThrow('must keep owner');
    expect(() => new TurnBatchedFind<Row>(rows, '_id', { projection: { _id: 0, owner: 1 } })).toThrow('must keep _id');
    expect(() => new TurnBatchedFind<Row>(rows, 'owner', { projection: { secret: 0 } })).not.toThrow();
    expect(() => new TurnBatchedFind<Row>(rows, '_id', { projection: { owner: 1 } })).not.toThrow();
  });

  it('MongoDB away: the finds and the writes of a turn fail with the driver’s own outage error (answered 503), not a bulk error', async () => {
    const away = new mongo.MongoClient('mongodb://127.0.0.1:9', { serverSelectionTimeoutMS: 300 });
    try {
      const gone = away.db('nowhere').collection<Row>('rows');
      const writes = new TurnBatchedWrites<Row>(gone);
      const finds = new TurnBatchedFind<Row>(gone, 'owner');
      const outcomes = await Promise.allSettled([
        writes.insert({ owner: 'a', n: 1 }),
        writes.insert({ owner: 'b', n: 2 }),
        writes.update({ owner: 'a' }, { $set: { n: 3 } }),
        writes.update({ owner: 'b' }, { $set: { n: 4 } }),
        finds.find(['a']),
        finds.find(['b']),
      ]);
      // The auto-connect's selection error, or for those waiting on it the closed topology it left:
      // both outages to the error filter (503), where a MongoBulkWriteError would be a 500.
      expect(outcomes.map((outcome) => outcome.status === 'rejected' && ((outcome as PromiseRejectedResult).reason as Error).name)).toEqual(
        outcomes.map(() => expect.stringMatching(/^(MongoServerSelectionError|MongoTopologyClosedError)$/)),
      );
    } finally {
      await away.close();
    }
  });

  it('inserts of one turn: one unordered insert; a duplicate (of a stored document or of another in the batch) fails its caller alone, as a duplicate key', async () => {
    const stored = new Types.ObjectId();
    await rows.insertOne({ _id: stored, owner: 'stored', n: 0 });
    const inserts = new TurnBatchedWrites<Row>(rows);
    const twice = new Types.ObjectId();
    const fresh = Array.from({ length: 6 }, () => new Types.ObjectId());
    let outcomes: PromiseSettledResult<void>[] = [];
    const sent = await commandsOnRows(async () => {
      outcomes = await Promise.allSettled([
        ...fresh.map((_id, n) => inserts.insert({ _id, owner: 'fresh', n })),
        inserts.insert({ _id: stored, owner: 'again', n: 1 }),
        inserts.insert({ _id: twice, owner: 'first', n: 2 }),
        inserts.insert({ _id: twice, owner: 'second', n: 3 }),
        // No _id: the driver gives it one, as insertOne does.
        inserts.insert({ owner: 'no id', n: 4 }),
      ]);
    });
    expect(sent).toEqual(['insert']);
    expect(outcomes.map((outcome) => outcome.status)).toEqual([...fresh.map(() => 'fulfilled'), 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const index of [6, 8]) expect(isDuplicateKeyError((outcomes[index] as PromiseRejectedResult).reason)).toBe(true);
    expect(await rows.countDocuments({ _id: { $in: fresh } })).toBe(6);
    expect((await rows.findOne({ _id: stored }))?.owner).toBe('stored');
    expect((await rows.findOne({ _id: twice }))?.owner).toBe('first');
    expect(await rows.countDocuments({ owner: 'no id' })).toBe(1);

    // Updates of the same turn: one `update` beside the inserts' `insert`; one the server refuses
    // (a number added to text) fails alone; each applied (whether it matched is not told).
    const [first, second, third] = fresh;
    let updates: PromiseSettledResult<void>[] = [];
    const mixed = await commandsOnRows(async () => {
      updates = await Promise.allSettled([
        inserts.update({ _id: first }, { $inc: { n: 10 } }),
        inserts.update({ _id: second }, { $inc: { owner: 1 } } as unknown as mongo.UpdateFilter<Row>),
        inserts.insert({ owner: 'with updates', n: 6 }),
        inserts.insert({ _id: stored, owner: 'again, with updates', n: 7 }),
        inserts.update({ _id: third }, { $set: { owner: 'changed' } }),
        inserts.update({ _id: new Types.ObjectId() }, { $set: { owner: 'matches nothing' } }),
      ]);
    });
    expect(mixed.sort()).toEqual(['insert', 'update']);
    expect(updates.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(isDuplicateKeyError((updates[1] as PromiseRejectedResult).reason)).toBe(false);
    expect(isDuplicateKeyError((updates[3] as PromiseRejectedResult).reason)).toBe(true);
    expect(((updates[1] as PromiseRejectedResult).reason as { code?: number }).code).toEqual(expect.any(Number));
    expect(await rows.findOne({ _id: first })).toMatchObject({ owner: 'fresh', n: 10 });
    expect(await rows.findOne({ _id: second })).toMatchObject({ owner: 'fresh', n: 1 });
    expect(await rows.findOne({ _id: third })).toMatchObject({ owner: 'changed', n: 2 });
    expect(await rows.countDocuments({ owner: { $in: ['with updates', 'matches nothing'] } })).toBe(1);

    // Alone in its turn: an insertOne, with its own refusal.
    const alone = await commandsOnRows(async () => {
      const refusal: unknown = await inserts.insert({ _id: stored, owner: 'alone', n: 5 }).catch((error: unknown) => error);
      expect(isDuplicateKeyError(refusal)).toBe(true);
    });
    expect(alone).toEqual(['insert']);
  });

  it('order numbers of one turn: one counter write, handed out in the order asked; a failed write fails the turn’s asks, the next turn goes on', async () => {
    const numbers = t.app.get(OrderNumbers);
    const counters = t.connection.collection('counters');
    const taken: string[] = [];
    const writes: string[] = [];
    const listener = (event: CommandStartedEvent) => {
      if (event.commandName === 'findAndModify' && event.command.findAndModify === 'counters') writes.push(event.commandName);
    };
    t.connection.getClient().on('commandStarted', listener);
    try {
      const before = (await counters.findOne({ _id: 'order-number' as never }))!.seq as number;
      await Promise.all(Array.from({ length: 8 }, () => numbers.next().then((number) => taken.push(number))));
      expect(writes).toHaveLength(1);
      // Resolved in the order asked, consecutive from the counter.
      expect(taken).toEqual(Array.from({ length: 8 }, (_, index) => formatOrderNumber(before + 1 + index)));
      await counters.updateOne({ _id: 'order-number' as never }, { $set: { seq: 'not a number' } });
      try {
        const failed = await Promise.allSettled([numbers.next(), numbers.next()]);
        expect(failed.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      } finally {
        await counters.updateOne({ _id: 'order-number' as never }, { $set: { seq: before + 8 } });
      }
      expect(await numbers.next()).toBe(formatOrderNumber(before + 9));
    } finally {
      t.connection.getClient().off('commandStarted', listener);
    }
  });

  it('twelve buyers checking out at once: each order holds its own buyer’s cart, each cart is emptied, with numbers none skipped; their order and slot inserts, slot reads and counter writes take fewer commands together than one each', async () => {
    const buyers = await Promise.all(Array.from({ length: 12 }, (_, index) => registerCustomer(t, `turn-batch-${index}`)));
    const products = await Promise.all(buyers.map(() => shop.createProduct({ stock: 5 })));
    await Promise.all(buyers.map((buyer, index) => shop.addToCart(buyer, products[index].id, (index % 3) + 1).expect(200)));

    let orders: request.Response[] = [];
    const commands = await dbCommandsOnCollectionsDuring(t.connection, async () => {
      orders = await Promise.all(buyers.map((buyer) => shop.checkout(buyer)));
    });
    orders.forEach((order, index) => {
      expect(order.status).toBe(201);
      expect(order.body.items).toEqual([expect.objectContaining({ productId: products[index].id, quantity: (index % 3) + 1 })]);
    });
    // Their numbers: all different, none skipped (a turn's numbers are taken by one increment).
    const numbers = orders.map((order) => Number(String(order.body.number).replace('ORD-', ''))).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, index) => numbers[0] + index));
    for (const buyer of buyers) expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toEqual([]);
    for (const [index, product] of products.entries()) {
      const shown = (await request(t.http).get(`/api/v1/products/${product.id}`).expect(200)).body;
      expect(shown.stock).toBe(5 - ((index % 3) + 1));
    }
    const count = (name: string) => commands.filter((command) => command === name).length;
    // Requests arriving together advance together (their Redis reads share a pipeline too), so
    // their reads and inserts meet in turns: 5 to 7 commands of each kind in quiet runs here.
    // How many meet depends on timing (on a loaded machine one kind once took a command per
    // checkout), so the bound is on the four kinds together; the exact counts per turn are the
    // tests above, one mechanism at a time.
    const kinds = ['insert orders', 'find unpaid_order_slots', 'insert unpaid_order_slots', 'findAndModify counters'];
    for (const kind of kinds) {
      expect(count(kind)).toBeGreaterThan(0);
      expect(count(kind)).toBeLessThanOrEqual(12);
    }
    expect(kinds.reduce((total, kind) => total + count(kind), 0)).toBeLessThan(kinds.length * 12);
  });
});
