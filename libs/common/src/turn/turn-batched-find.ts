import type { mongo } from 'mongoose';
import { TurnBatch } from './turn-batch';

interface WaitingFind<T> {
  values: readonly unknown[];
  resolve: (documents: T[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Finds of documents by the values of one top-level field (e.g. `_id`, a cart's `userId`), sent as one `$in` find for all the finds asked for in one turn of the
 * event loop (TurnBatch). Under the checkout benchmark's load a turn of an API process asks for
 * three to four carts and as many sets of products; each sent alone costs the driver and the
 * server a command apiece.
 *
 * Each caller gets what its own find would have returned: the documents whose field holds one of
 * its values, each once, read after it asked. Values are told apart by their string form (an
 * ObjectId's is its hex): one field's values are of one type. A failed find fails every find of
 * its batch, as each would have failed alone (the server or the network is away).
 */
export class TurnBatchedFind<T extends mongo.Document> {
  private readonly batch = new TurnBatch<WaitingFind<T>>((waiting) => this.send(waiting));

  constructor(
    private readonly collection: mongo.Collection<T>,
    private readonly field: keyof T & string,
    private readonly options: {
      /** The same for every find of the batch (none: whole documents); it must keep `field`. */
      projection?: mongo.Document;
      /** A condition every find of the batch adds (e.g. `{ slot: { $lt: 3 } }`). */
      also?: mongo.Filter<T>;
      /** The most documents one value matches: 1 for `_id` and unique fields. */
      mostPerValue?: number;
    } = {},
  ) {}

  find(values: readonly unknown[]): Promise<T[]> {
    if (values.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.batch.add({ values, resolve, reject }));
  }

  private async send(waiting: WaitingFind<T>[]): Promise<void> {
    const distinct = new Map<string, unknown>();
    for (const { values } of waiting) for (const value of values) distinct.set(String(value), value);
    let found: T[];
    try {
      found = (await this.collection
        // A first batch one larger than all the documents can be holds them all and tells the
        // cursor is exhausted, so no getMore follows (the default stops at 101).
        .find({ ...this.options.also, [this.field]: { $in: [...distinct.values()] } } as mongo.Filter<T>, {
          projection: this.options.projection,
          batchSize: distinct.size * (this.options.mostPerValue ?? 1) + 1,
        })
        .toArray()) as T[];
    } catch (error) {
      for (const { reject } of waiting) reject(error);
      return;
    }
    if (waiting.length === 1) return waiting[0].resolve(found);
    const byValue = new Map<string, T[]>();
    for (const document of found) {
      const key = String(document[this.field]);
      byValue.set(key, [...(byValue.get(key) ?? []), document]);
    }
    for (const { values, resolve } of waiting) {
      resolve([...new Set(values.map(String))].flatMap((key) => byValue.get(key) ?? []));
    }
  }
}
