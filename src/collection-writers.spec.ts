import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One writer per collection (ARCHITECTURE.md): products, orders and users are written only by
 * their store, which owns the model and offers named verbs, and promotion uses (with the
 * customers' counters) only by PromotionUses. This reads every source file and fails when any
 * other file calls a write method on that collection's model (injected, opened from a
 * connection, or the raw collection) or saves one of its documents.
 */
const WRITE_METHODS = [
  'create', 'insertMany', 'insertOne', 'updateOne', 'updateMany', 'findOneAndUpdate', 'findByIdAndUpdate', 'findOneAndReplace',
  'findOneAndDelete', 'findByIdAndDelete', 'deleteOne', 'deleteMany', 'bulkWrite', 'replaceOne', 'save',
];

interface Collection {
  model: string;
  collection: string;
  /** The store: the one file that writes. */
  owner: string;
}

const COLLECTIONS: Collection[] = [
  { model: 'Product', collection: 'products', owner: 'products/products.store.ts' },
  { model: 'Order', collection: 'orders', owner: 'orders/order.store.ts' },
  { model: 'User', collection: 'users', owner: 'users/users.service.ts' },
  // Promotion uses and the customers' counters: taken and given back only by PromotionUses.
  { model: 'PromotionUse', collection: 'promotion_uses', owner: 'pricing/promotion-uses.ts' },
  { model: 'PromotionCustomerUse', collection: 'promotion_customer_uses', owner: 'pricing/promotion-uses.ts' },
  // Relayed stock movements: copied only by the relay's store, never changed.
  { model: 'StockMovementRecord', collection: 'stock_movements', owner: 'products/stock-movements/stock-movement.store.ts' },
];

/** `path: method` for every write of `collection` in `source`. */
export function writesOf(source: string, { model, collection }: Collection): string[] {
  const handles = new Set<string>();
  // `@InjectModel(Order.name) private readonly orders: Model<Order>` and `const orders = connection.model(Order.name)`
  for (const match of source.matchAll(new RegExp(`@InjectModel\\(${model}\\.name\\)\\s*(?:(?:private|protected|public|readonly)\\s+)*(\\w+)`, 'g'))) handles.add(match[1]);
  for (const match of source.matchAll(new RegExp(`(\\w+)\\s*=\\s*[\\w.]+\\.model(?:<\\w+>)?\\((?:${model}\\.name|'${model}')`, 'g'))) handles.add(match[1]);
  for (const match of source.matchAll(new RegExp(`(\\w+)\\s*=\\s*[\\w.]+\\.collection\\(['"]${collection}['"]\\)`, 'g'))) handles.add(match[1]);
  const methods = WRITE_METHODS.join('|');
  const found: string[] = [];
  for (const handle of handles) {
    for (const match of source.matchAll(new RegExp(`\\b${handle}\\s*\\.\\s*(${methods})\\s*\\(`, 'g'))) found.push(match[1]);
  }
  for (const match of source.matchAll(new RegExp(`\\.(?:model(?:<\\w+>)?\\((?:${model}\\.name|'${model}')\\)|collection\\(['"]${collection}['"]\\))\\s*\\.\\s*(${methods})\\s*\\(`, 'g'))) found.push(match[1]);
  // A document of the collection saved (or deleted) by a file that holds one.
  if (new RegExp(`\\b${model}Document\\b`).test(source)) {
    for (const match of source.matchAll(/\.\s*(save)\s*\(/g)) found.push(`document ${match[1]}`);
  }
  return found;
}

describe('each of products, orders, users, promotion uses and stock movements has one writer', () => {
  const srcRoot = __dirname;
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [join(dir, entry.name)] : [],
    );
  const sources = files(srcRoot).map((file) => ({ path: relative(srcRoot, file), source: readFileSync(file, 'utf8') }));

  it.each(COLLECTIONS)('only $owner writes $collection', (collection) => {
    const strangers = sources
      .filter(({ path }) => path !== collection.owner)
      .flatMap(({ path, source }) => writesOf(source, collection).map((method) => `${path}: ${method}`));
    expect(strangers).toEqual([]);
    expect(writesOf(sources.find(({ path }) => path === collection.owner)!.source, collection).length).toBeGreaterThan(0);
  });

  it('recognises the ways a second writer would write', () => {
    const orders = COLLECTIONS[1];
    expect(writesOf('constructor(@InjectModel(Order.name) private readonly orders: Model<Order>) {}\n this.orders.updateOne({}, {});', orders)).toEqual(['updateOne']);
    expect(writesOf("const raw = this.connection.collection('orders');\n await raw.deleteMany({});", orders)).toEqual(['deleteMany']);
    expect(writesOf("await connection.model(Order.name).findOneAndUpdate({}, {});", orders)).toEqual(['findOneAndUpdate']);
    expect(writesOf('function f(order: OrderDocument) { return order.save(); }', orders)).toEqual(['document save']);
    expect(writesOf('constructor(@InjectModel(Order.name) private readonly orders: Model<Order>) {}\n this.orders.findById(id);', orders)).toEqual([]);
  });
});
