import mongoose, { Schema } from 'mongoose';
import { testEnvironment } from './support/test-env';

/**
 * Facts the data rules depend on (ARCHITECTURE.md, "Data rules"), checked on whatever server
 * TEST_MONGODB_URI points at: the local stand-in by default, a real MongoDB otherwise.
 */
describe('MongoDB server behaviour the code relies on', () => {
  const { MONGODB_URI } = testEnvironment();
  let writer: mongoose.Connection;
  let reader: mongoose.Connection;

  const itemSchema = new Schema({ sku: { type: String, unique: true }, stock: Number });

  beforeAll(async () => {
    writer = await mongoose.createConnection(MONGODB_URI).asPromise();
    reader = await mongoose.createConnection(MONGODB_URI).asPromise();
  });

  afterAll(async () => {
    await writer?.dropDatabase();
    await Promise.all([writer?.close(), reader?.close()]);
  });

  it('persists a document written through Mongoose so that a second connection reads it', async () => {
    const Written = writer.model('Item', itemSchema);
    await Written.create({ sku: 'persist-1', stock: 7 });

    const Read = reader.model('Item', itemSchema);
    const found = await Read.findOne({ sku: 'persist-1' }).lean();
    expect(found).toMatchObject({ sku: 'persist-1', stock: 7 });
  });

  it('lets exactly 20 of 50 simultaneous conditional decrements succeed on stock 20', async () => {
    const Item = writer.model('Item', itemSchema);
    const { _id } = await Item.create({ sku: 'race-1', stock: 20 });

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        Item.updateOne({ _id, stock: { $gte: 1 } }, { $inc: { stock: -1 } }),
      ),
    );

    const successes = results.filter((result) => result.modifiedCount === 1).length;
    expect(successes).toBe(20);
    const after = await reader.model('Item', itemSchema).findById(_id).lean();
    expect(after?.stock).toBe(0);
  });

  it('enforces unique indexes with error code 11000', async () => {
    const Item = writer.model('Item', itemSchema);
    await Item.syncIndexes();
    await Item.create({ sku: 'unique-1', stock: 1 });
    await expect(Item.create({ sku: 'unique-1', stock: 2 })).rejects.toMatchObject({ code: 11000 });
  });
});
