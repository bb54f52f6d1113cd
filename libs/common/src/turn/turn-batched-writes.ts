import { mongo } from 'mongoose';
import { TurnBatch } from './turn-batch';

interface Waiting<W> {
  write: W;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Update<T extends mongo.Document> {
  filter: mongo.Filter<T>;
  update: mongo.UpdateFilter<T>;
}

/**
 * The server's refusal of one write of a batch: its code and message (which names the index of a
 * duplicate key: the driver keeps no keyPattern for a write of a batch).
 */
export class WriteRefusedError extends Error {
  readonly code?: number;
  readonly errInfo?: object;

  constructor(refusal: { errmsg?: string; code?: number; errInfo?: object }) {
    super(refusal.errmsg ?? 'the write was refused');
    this.name = 'WriteRefusedError';
    Object.assign(this, { code: refusal.code, errInfo: refusal.errInfo });
  }
}

/**
 * Writes to one collection asked for in one turn of the event loop (TurnBatch): the inserts go as
 * one unordered `insert` command, the updates as one unordered `update` command, each settling
 * only its own callers. Every checkout inserts its order and its unpaid-order slot, and every
 * relayed event takes itself out of its order's outbox; under the checkout benchmark's load,
 * three at a time per turn.
 *
 * Each write's outcome is its own, as if sent alone: unordered, the server tries every write, and
 * one it refuses (a duplicate key) fails its caller alone, with that refusal's code and message
 * (WriteRefusedError, which isDuplicateKeyError reads). A command that fails as a whole (the
 * server or the network away) fails the writes it carried with the driver's own error, so an
 * outage still reads as one. An update tells only that it was applied, not whether it matched or
 * changed a document: writes whose outcome decides something (a conditional claim or transition)
 * are not for this.
 */
export class TurnBatchedWrites<T extends mongo.Document> {
  private readonly inserts = new TurnBatch<Waiting<mongo.OptionalUnlessRequiredId<T>>>((waiting) => this.sendInserts(waiting));
  private readonly updates = new TurnBatch<Waiting<Update<T>>>((waiting) => this.sendUpdates(waiting));

  constructor(
    private readonly collection: mongo.Collection<T>,
    /** The same for every write of the batch. */
    private readonly options: Omit<mongo.BulkWriteOptions, 'ordered'> = {},
  ) {}

  insert(document: mongo.OptionalId<T>): Promise<void> {
    return new Promise((resolve, reject) => this.inserts.add({ write: document as mongo.OptionalUnlessRequiredId<T>, resolve, reject }));
  }

  /** `updateOne`, applied; whether it matched a document is not told. */
  update(filter: mongo.Filter<T>, update: mongo.UpdateFilter<T>): Promise<void> {
    return new Promise((resolve, reject) => this.updates.add({ write: { filter, update }, resolve, reject }));
  }

  private sendInserts(waiting: Waiting<mongo.OptionalUnlessRequiredId<T>>[]): Promise<void> {
    // The bulk machinery costs more for one write: a turn's only insert goes as insertOne.
    return this.send(waiting, (documents) =>
      documents.length === 1 ? this.collection.insertOne(documents[0], this.options) : this.collection.insertMany(documents, { ...this.options, ordered: false }),
    );
  }

  private sendUpdates(waiting: Waiting<Update<T>>[]): Promise<void> {
    return this.send(waiting, (updates) =>
      updates.length === 1
        ? this.collection.updateOne(updates[0].filter, updates[0].update, this.options)
        : this.collection.bulkWrite(updates.map(({ filter, update }) => ({ updateOne: { filter, update } })), { ...this.options, ordered: false }),
    );
  }

  /** Sends a turn's writes of one kind as one command and settles each caller with its own outcome. */
  private async send<W>(waiting: Waiting<W>[], command: (writes: W[]) => Promise<unknown>): Promise<void> {
    try {
      await command(waiting.map(({ write }) => write));
      for (const { resolve } of waiting) resolve();
    } catch (error) {
      settleRefused(waiting, error);
    }
  }
}

/**
 * After a bulk command threw: each write the server refused fails its caller with that refusal,
 * the others were applied. Without refusals the command failed as a whole: every caller gets the
 * driver's own error (the one the bulk error wraps: an outage stays an outage).
 */
function settleRefused(waiting: Waiting<unknown>[], error: unknown): void {
  const writeErrors = error instanceof mongo.MongoBulkWriteError ? ([] as mongo.WriteError[]).concat(error.writeErrors) : [];
  if (writeErrors.length === 0) {
    const cause = error instanceof mongo.MongoBulkWriteError && error.errorResponse instanceof Error ? error.errorResponse : error;
    for (const { reject } of waiting) reject(cause);
    return;
  }
  const refused = new Map(writeErrors.map((writeError) => [writeError.index, writeError]));
  waiting.forEach(({ resolve, reject }, index) => {
    const refusal = refused.get(index);
    if (refusal) reject(new WriteRefusedError({ errmsg: refusal.errmsg, code: refusal.code, errInfo: refusal.errInfo }));
    else resolve();
  });
}
