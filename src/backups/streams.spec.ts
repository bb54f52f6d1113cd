import { mongo } from 'mongoose';
import { Readable } from 'node:stream';
import { bsonDocuments } from './streams';

async function split(chunks: Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const doc of Readable.from(chunks, { objectMode: false }).pipe(bsonDocuments())) out.push(doc as Buffer);
  return out;
}

describe('bsonDocuments', () => {
  const docs = [{ a: 1 }, { b: 'two', c: [1, 2, 3] }, { d: new Date(5) }].map((doc) => Buffer.from(mongo.BSON.serialize(doc)));
  const all = Buffer.concat(docs);

  it('cuts documents however the bytes arrive', async () => {
    expect(await split([all])).toEqual(docs);
    const byteByByte = [...all].map((byte) => Buffer.from([byte]));
    expect(await split(byteByByte)).toEqual(docs);
    expect(await split([all.subarray(0, 7), all.subarray(7, 30), all.subarray(30)])).toEqual(docs);
  });

  it('fails on a truncated stream instead of dropping the tail', async () => {
    await expect(split([all.subarray(0, all.length - 3)])).rejects.toThrow(/Corrupt BSON stream/);
  });
});
