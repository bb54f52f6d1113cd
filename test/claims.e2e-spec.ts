import mongoose from 'mongoose';
import { Claims } from '@app/common';
import type { CommandStartedEvent } from 'mongodb';
import { EmailRecord, EmailRecordSchema } from '../src/notifications/schemas/email-record.schema';
import { OrderEffectRecord, OrderEffectRecordSchema } from '../src/orders/schemas/order-effect-record.schema';
import { PaymentEventRecord, PaymentEventRecordSchema } from '../src/payments/schemas/payment-event-record.schema';
import { testEnvironment } from './support/test-env';

/**
 * The one claim helper (claim, take over when stale, release only one's own claim) on the real
 * MongoDB stand-in, with the two collections that use it: a holder that was slow past the stale
 * time must not undo the claim of the one that took over.
 */
describe('Claims', () => {
  let connection: mongoose.Connection;

  beforeAll(async () => {
    connection = await mongoose.createConnection(testEnvironment().MONGODB_URI, { monitorCommands: true }).asPromise();
  });

  afterAll(async () => {
    await connection?.dropDatabase();
    await connection?.close();
  });

  const collections = () => [
    {
      name: 'payment events (keyed by _id)',
      records: connection.model(PaymentEventRecord.name, PaymentEventRecordSchema),
      claims: () => new Claims(connection.model<PaymentEventRecord>(PaymentEventRecord.name), { key: '_id', state: 'state', claimed: 'processing', done: 'done' }),
      insert: { kind: 'payment_intent.succeeded', receivedAt: new Date() },
      find: (key: string) => connection.model(PaymentEventRecord.name).findById(key).lean(),
    },
    {
      name: 'the mail ledger (keyed by a unique field)',
      records: connection.model(EmailRecord.name, EmailRecordSchema),
      claims: () => new Claims(connection.model<EmailRecord>(EmailRecord.name), { key: 'key', state: 'status', claimed: 'sending', done: 'sent' }),
      insert: {},
      find: (key: string) => connection.model(EmailRecord.name).findOne({ key }).lean(),
    },
    {
      name: 'order effects (keyed by _id, new claims batched per turn)',
      records: connection.model(OrderEffectRecord.name, OrderEffectRecordSchema),
      claims: () => new Claims(connection.model<OrderEffectRecord>(OrderEffectRecord.name), { key: '_id', state: 'state', claimed: 'running', done: 'done' }, { batchInserts: true }),
      insert: {},
      find: (key: string) => connection.model(OrderEffectRecord.name).findById(key).lean(),
    },
  ];

  it.each([0, 1, 2])('lets a stale claimant release nothing once another took over (%#)', async (which) => {
    const { records, claims, insert, find } = collections()[which];
    await records.syncIndexes();
    const helper = claims();
    const key = `stale-${which}`;

    const first = await helper.claim(key, 60_000, insert);
    expect(first.outcome).toBe('claimed');
    // Fresh: a second caller is told it is in progress and gets no claim.
    expect((await helper.claim(key, 60_000, insert)).outcome).toBe('in-progress');

    // With a stale time of 0 the first claim counts as abandoned: the second caller takes it over.
    const second = await helper.claim(key, 0, insert);
    expect(second.outcome).toBe('claimed');
    if (first.outcome !== 'claimed' || second.outcome !== 'claimed') throw new Error('unreachable');
    expect(second.claimId).not.toBe(first.claimId);

    // The slow first holder gives up: its release and its finish are refused...
    expect(await helper.release(key, first.claimId)).toBe(false);
    expect(await helper.finish(key, first.claimId)).toBe(false);
    // ...and the new holder's claim is still there, counted as a takeover.
    expect(await find(key)).toMatchObject({ claimId: second.claimId, claimedAt: expect.any(Date), takeovers: 1 });

    expect(await helper.finish(key, second.claimId)).toBe(true);
    expect((await helper.claim(key, 0, insert)).outcome).toBe('done');
  });

  it.each([0, 2])('gives exactly one of many simultaneous claimants the key, and its release lets the next one in (%#)', async (which) => {
    const { records, claims, insert } = collections()[which];
    await records.syncIndexes();
    const helper = claims();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => helper.claim('race', 60_000, insert)));
    const winners = outcomes.filter((outcome) => outcome.outcome === 'claimed');
    expect(winners).toHaveLength(1);
    if (winners[0].outcome !== 'claimed') throw new Error('unreachable');

    expect(await helper.release('race', winners[0].claimId)).toBe(true);
    expect((await helper.claim('race', 60_000, insert)).outcome).toBe('claimed');
  });

  it('batched claims: those of one turn in one insert, each record as the schema would have written it', async () => {
    const records = connection.model(OrderEffectRecord.name, OrderEffectRecordSchema);
    await records.syncIndexes();
    const shape = { key: '_id', state: 'state', claimed: 'running', done: 'done' };
    const batched = new Claims(records, shape, { batchInserts: true });
    const created = new Claims(records, shape);
    const inserts: string[] = [];
    const listener = (event: CommandStartedEvent) => {
      if (event.commandName === 'insert' && event.command.insert === 'order_effects') inserts.push(event.commandName);
    };
    connection.getClient().on('commandStarted', listener);
    try {
      const outcomes = await Promise.all(['one:release-stock', 'one:cancel-intent', 'one:refund'].map((key) => batched.claim(key, 60_000)));
      expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['claimed', 'claimed', 'claimed']);
      expect(inserts).toHaveLength(1);
    } finally {
      connection.getClient().off('commandStarted', listener);
    }
    await created.claim('two:release-stock', 60_000);
    const stored = (key: string) => connection.collection('order_effects').findOne({ _id: key as never });
    const [viaDriver, viaCreate] = [await stored('one:release-stock'), await stored('two:release-stock')];
    const shapeOf = (record: Record<string, unknown> | null) => Object.fromEntries(Object.entries(record ?? {}).map(([field, value]) => [field, value instanceof Date ? 'date' : typeof value]));
    expect(shapeOf(viaDriver)).toEqual(shapeOf(viaCreate));
    expect(viaDriver).toMatchObject({ state: 'running', takeovers: 0 });
  });
});
