import type { mongo } from 'mongoose';
import { TurnBatch } from './turn-batch';

interface WaitingFind<T> {
  values: readonly unknown[];
  resolve: (documents: T[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Finds of documents by the values of one top-level field (e.g. `_id`, a cart's `userId`), sent
 * as one `$in` find for all the finds asked for in one turn of the event loop (TurnBatch). Under
 * the checkout benchmark's load a turn of an API process asks for three to four carts and as many
 * sets of products; each sent alone costs the driver and the server a command apiece.
 *
 * Each caller gets what its own find would have returned: the documents whose field holds one of
 * its values, each once, read after it asked. Values are told apart by their type and string form
 * (an ObjectId's is its hex); the field holds one value per document (not an array). Callers that
 * asked for the same value get the same document objects: they read them, never change them. A
 * failed find fails every find of its batch, as each would have failed alone (the server or the
 * network is away).
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
  ) {
    const { projection } = options;
    const left = (value: unknown) => value === 0 || value === false;
    // Named, the field is kept unless left out; unnamed, it is kept by `_id`'s default or by a
    // projection that only leaves fields out.
    const named = projection?.[field];
    const inclusion = projection && Object.entries(projection).some(([key, value]) => key !== '_id' && !left(value));
    const keepsField = !projection || (named !== undefined ? !left(named) : field === '_id' || !inclusion);
    if (!keepsField) throw new Error(`TurnBatchedFind by ${field}: the projection must keep ${field}, which shares the documents out`);
  }

  find(values: readonly unknown[]): Promise<T[]> {
    if (values.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.batch.add({ values, resolve, reject }));
  }

  private async send(waiting: WaitingFind<T>[]): Promise<void> {
    try {
      const distinct = new Map<string, unknown>();
      for (const { values } of waiting) for (const value of values) distinct.set(keyOf(value), value);
      const found = (await this.collection
        // A first batch one larger than all the documents can be holds them all and tells the
        // cursor is exhausted, so no getMore follows (the default stops at 101).
        .find({ ...this.options.also, [this.field]: { $in: [...distinct.values()] } } as mongo.Filter<T>, {
          projection: this.options.projection,
          batchSize: distinct.size * (this.options.mostPerValue ?? 1) + 1,
        })
        .toArray()) as T[];
      const byValue = new Map<string, T[]>();
      for (const document of found) {
        const key = keyOf(document[this.field]);
        const documents = byValue.get(key);
        if (documents) documents.push(document);
        else byValue.set(key, [document]);
      }
      for (const { values, resolve } of waiting) resolve([...new Set(values.map(keyOf))].flatMap((key) => byValue.get(key) ?? []));
    } catch (error) {
      // Settled finds ignore this: only those still waiting fail.
      for (const { reject } of waiting) reject(error);
    }
  }
}

/** A value told apart by its type and its string form (an ObjectId's is its hex). */
function keyOf(value: unknown): string {
  const type = typeof value === 'object' && value !== null ? ((value as { _bsontype?: string })._bsontype ?? 'object') : typeof value;
  return `${type}:${String(value)}`;
}
