import { Transform } from 'node:stream';

/** A pass-through stream that shows every chunk to `look` (hashing, counting) on its way. */
export function tap(look: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      look(chunk);
      done(null, chunk);
    },
  });
}

/**
 * Cuts a stream of BSON documents written back to back (each starts with its int32 length, as
 * in mongodump's `.bson` files) into one Buffer per document.
 */
export function bsonDocuments(): Transform {
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= 4) {
        const size = pending.readInt32LE(offset);
        if (size < 5) return done(new Error(`Corrupt BSON stream: a document of ${size} bytes`));
        if (pending.length - offset < size) break;
        this.push(pending.subarray(offset, offset + size));
        offset += size;
      }
      pending = pending.subarray(offset);
      done();
    },
    flush(done) {
      done(pending.length > 0 ? new Error(`Corrupt BSON stream: ${pending.length} bytes after the last document`) : null);
    },
  });
}
