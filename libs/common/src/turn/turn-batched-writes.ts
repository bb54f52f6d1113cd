import { mongo } from 'mongoose';
import { TurnBatch } from './turn-batch';

interface WaitingWrite<T extends mongo.Document> {
  operation: mongo.AnyBulkWriteOperation<T>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The server's refusal of one write of a batch, as the write sent alone would have thrown it (code, key). */
export class WriteRefusedError extends Error {
  readonly code?: number;
  readonly keyPattern?: object;
  readonly keyValue?: object;
  readonly errInfo?: object;

  constructor(refusal: { errmsg?: string; code?: number; keyPattern?: object; keyValue?: object; errInfo?: object }) {
    super(refusal.errmsg ?? 'the write was refused');
    this.name = 'WriteRefusedError';
    Object.assign(this, { code: refusal.code, keyPattern: refusal.keyPattern, keyValue: refusal.keyValue, errInfo: refusal.errInfo });
  }
}

/**
 * Writes to one collection asked for in one turn of the event loop (TurnBatch), sent together as
 * one unordered bulk write: one `insert` command for the inserts, one `update` for the updates.
 * Every checkout inserts its order and its unpaid-order slot, and every relayed event takes
 * itself out of its order's outbox; under the checkout benchmark's load, three at a time per turn.
 *
 * Each write's outcome is its own, as if sent alone: unordered, the server tries every write, and
 * one it refuses (a duplicate key) fails its caller alone, with that refusal's code and key
 * (WriteRefusedError, which isDuplicateKeyError reads). An error of a whole command (the server
 * or the network away) fails every write of the batch. An update tells only that it was applied,
 * not whether it matched or changed a document: writes whose outcome decides something (a
 * conditional claim or transition) are not for this.
 */
export class TurnBatchedWrites<T extends mongo.Document> {
  private readonly batch = new TurnBatch<WaitingWrite<T>>((waiting) => this.send(waiting));

  constructor(
    private readonly collection: mongo.Collection<T>,
    /** The same for every write of the batch. */
    private readonly options: Omit<mongo.BulkWriteOptions, 'ordered'> = {},
  ) {}

  insert(document: mongo.OptionalId<T>): Promise<void> {
    return this.write({ insertOne: { document } });
  }

  /** `updateOne`, applied; whether it matched a document is not told. */
  update(filter: mongo.Filter<T>, update: mongo.UpdateFilter<T>): Promise<void> {
    return this.write({ updateOne: { filter, update } });
  }

  private write(operation: mongo.AnyBulkWriteOperation<T>): Promise<void> {
    return new Promise((resolve, reject) => this.batch.add({ operation, resolve, reject }));
  }

  private async send(waiting: WaitingWrite<T>[]): Promise<void> {
    if (waiting.length === 1) return this.sendAlone(waiting[0]);
    try {
      await this.collection.bulkWrite(
        waiting.map(({ operation }) => operation),
        { ...this.options, ordered: false },
      );
    } catch (error) {
      const writeErrors = error instanceof mongo.MongoBulkWriteError ? ([] as mongo.WriteError[]).concat(error.writeErrors) : [];
      if (!(error instanceof mongo.MongoBulkWriteError) || error.writeConcernError || writeErrors.length === 0) {
        for (const { reject } of waiting) reject(error);
        return;
      }
      const refused = new Map(writeErrors.map((writeError) => [writeError.index, writeError]));
      waiting.forEach(({ resolve, reject }, index) => {
        const refusal = refused.get(index);
        if (!refusal) return resolve();
        // The server's own report of the refusal (with the duplicate key, when MongoDB gives it).
        const { keyPattern, keyValue } = refusal.err as { keyPattern?: object; keyValue?: object };
        reject(new WriteRefusedError({ errmsg: refusal.errmsg, code: refusal.code, keyPattern, keyValue, errInfo: refusal.errInfo }));
      });
      return;
    }
    for (const { resolve } of waiting) resolve();
  }

  /** The turn's only write, as its own command: the bulk machinery costs more for one. */
  private async sendAlone({ operation, resolve, reject }: WaitingWrite<T>): Promise<void> {
    try {
      if ('insertOne' in operation) await this.collection.insertOne(operation.insertOne.document as mongo.OptionalUnlessRequiredId<T>, this.options);
      else if ('updateOne' in operation) await this.collection.updateOne(operation.updateOne.filter, operation.updateOne.update, this.options);
      else throw new Error('a batched write is an insert or an update');
      resolve();
    } catch (error) {
      reject(error);
    }
  }
}
