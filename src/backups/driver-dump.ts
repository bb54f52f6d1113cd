import { mongo } from 'mongoose';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { bsonDocuments, tap } from './streams';

/** Called as documents go by: done so far of the expected total. */
export type Progress = (done: number, total: number) => void;

export interface DumpSummary {
  documents: number;
  bytes: number;
  contentSha256: string;
}

const INSERT_BATCH_DOCUMENTS = 1000;
const INSERT_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Reads every document as raw BSON bytes, never decoded into JavaScript values, so nothing can
 * change a type on the way (an int32 stays an int32, a Long a Long, a double a double). `_id`
 * order makes the content hash comparable with a restored copy.
 */
function rawDocuments(collection: mongo.Collection): AsyncIterable<Buffer> {
  return collection.find({}, { raw: true, sort: { _id: 1 }, batchSize: INSERT_BATCH_DOCUMENTS }) as unknown as AsyncIterable<Buffer>;
}

/**
 * The collection as a gzipped stream of BSON documents back to back, read one cursor batch
 * at a time (memory stays flat however big the collection is). `summary()` holds once the
 * stream has ended.
 */
export function dumpCollection(collection: mongo.Collection, total: number, progress: Progress): { body: Readable; summary: () => DumpSummary } {
  const hash = createHash('sha256');
  let documents = 0;
  let bytes = 0;
  const gzip = createGzip();
  pipeline(
    Readable.from(rawDocuments(collection)),
    tap((doc) => {
      hash.update(doc);
      bytes += doc.length;
      documents += 1;
      if (documents % INSERT_BATCH_DOCUMENTS === 0) progress(documents, total);
    }),
    gzip,
  ).catch(() => undefined); // a failure reaches the consumer of `gzip`, which pipeline destroys with the error
  return {
    body: gzip,
    summary: () => ({ documents, bytes, contentSha256: hash.digest('hex') }),
  };
}

/**
 * Inserts a gzipped BSON stream into `collection` in batches. Documents are decoded without
 * promoting values (Int32, Double, Long and Binary stay wrapped) so that the driver writes back
 * exactly the BSON types that were read.
 */
export async function loadCollection(
  compressed: Readable,
  collection: mongo.Collection,
  total: number,
  progress: Progress,
): Promise<Pick<DumpSummary, 'documents' | 'contentSha256'>> {
  const hash = createHash('sha256');
  let documents = 0;
  let batch: mongo.Document[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await collection.insertMany(batch, { ordered: true, bypassDocumentValidation: true });
    documents += batch.length;
    batch = [];
    batchBytes = 0;
    progress(documents, total);
  };
  const docs = bsonDocuments();
  const decompressed = pipeline(compressed, createGunzip(), docs);
  decompressed.catch(() => undefined); // the same error ends the loop below
  for await (const raw of docs as AsyncIterable<Buffer>) {
    hash.update(raw);
    batch.push(mongo.BSON.deserialize(raw, { promoteValues: false, bsonRegExp: true }));
    batchBytes += raw.length;
    if (batch.length >= INSERT_BATCH_DOCUMENTS || batchBytes >= INSERT_BATCH_BYTES) await flush();
  }
  await flush();
  await decompressed;
  return { documents, contentSha256: hash.digest('hex') };
}

/** Documents and SHA-256 of a collection as it reads now, in the order a dump writes it. */
export async function digestCollection(collection: mongo.Collection): Promise<Pick<DumpSummary, 'documents' | 'contentSha256'>> {
  const hash = createHash('sha256');
  let documents = 0;
  for await (const raw of rawDocuments(collection)) {
    hash.update(raw);
    documents += 1;
  }
  return { documents, contentSha256: hash.digest('hex') };
}
