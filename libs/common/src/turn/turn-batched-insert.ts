import { mongo } from 'mongoose';
import { TurnBatch } from './turn-batch';

interface WaitingInsert<T> {
  document: mongo.OptionalId<T>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The server's refusal of one document of a batched insert, as an insert of it alone would have thrown (code, key). */
export class DocumentRefusedError extends Error {
  readonly code?: number;
  readonly keyPattern?: object;
  readonly keyValue?: object;
  readonly errInfo?: object;

  constructor(refusal: { errmsg?: string; code?: number; keyPattern?: object; keyValue?: object; errInfo?: object }) {
    super(refusal.errmsg ?? 'the document was refused');
    this.name = 'DocumentRefusedError';
    Object.assign(this, { code: refusal.code, keyPattern: refusal.keyPattern, keyValue: refusal.keyValue, errInfo: refusal.errInfo });
  }
}

/**
 * Inserts of single documents into one collection, sent as one unordered `insert` for all those
 * asked for in one turn of the event loop (TurnBatch): every checkout writes its order and its
 * unpaid-order slot, three at a time per turn under the checkout benchmark's load.
 *
 * Each document's outcome is its own, as if inserted alone: unordered, the server tries every
 * document, and one it refuses (a duplicate key) fails its caller alone, with that refusal's code
 * and key (DocumentRefusedError, which isDuplicateKeyError reads). An error of the whole command
 * (the server or the network away) fails every insert of the batch.
 */
export class TurnBatchedInsert<T extends mongo.Document> {
  private readonly batch = new TurnBatch<WaitingInsert<T>>((waiting) => this.send(waiting));

  constructor(
    private readonly collection: mongo.Collection<T>,
    /** The same for every insert of the batch. */
    private readonly options: Omit<mongo.BulkWriteOptions, 'ordered'> = {},
  ) {}

  insert(document: mongo.OptionalId<T>): Promise<void> {
    return new Promise((resolve, reject) => this.batch.add({ document, resolve, reject }));
  }

  private async send(waiting: WaitingInsert<T>[]): Promise<void> {
    if (waiting.length === 1) {
      const [{ document, resolve, reject }] = waiting;
      return this.collection.insertOne(document as mongo.OptionalUnlessRequiredId<T>, this.options).then(() => resolve(), reject);
    }
    try {
      await this.collection.insertMany(
        waiting.map(({ document }) => document as mongo.OptionalUnlessRequiredId<T>),
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
        const { errmsg, code, keyPattern, keyValue, errInfo } = (refusal as unknown as { err: object }).err as { errmsg?: string; code?: number; keyPattern?: object; keyValue?: object; errInfo?: object };
        reject(new DocumentRefusedError({ errmsg: errmsg ?? refusal.errmsg, code: code ?? refusal.code, keyPattern, keyValue, errInfo }));
      });
      return;
    }
    for (const { resolve } of waiting) resolve();
  }
}
