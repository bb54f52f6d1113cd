// The checkout benchmark's client (run through scripts/bench/checkout.sh, which builds dist/).
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { benchEnvironment, call, newRunName, registerBuyers, seedBulk, SHIPPING_ADDRESS, startApis } from './api-processes.mjs';

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '50' },
    products: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    apis: { type: 'string', default: '2' },
  },
});
const BUYERS = Number(args.buyers);
const PRODUCTS = Number(args.products);
const SECONDS = Number(args.seconds);
const APIS = Number(args.apis);

const run = newRunName();
const env = benchEnvironment(run);
const children = [];

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const urls = await startApis(env, APIS, children);

  console.log(`bench: seeding ${PRODUCTS} products`);
  // One variant per product: buyers add products by id (a product with several needs a variantId), as before variants.
  await seedBulk(env, PRODUCTS, 1);
  const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
  const products = connection.collection('products');
  const initial = new Map((await products.find({}, { projection: { stockOnHand: 1 } }).toArray()).map((p) => [p._id.toHexString(), p.stockOnHand]));
  const sellable = [...initial].filter(([, stock]) => stock > 0).map(([id]) => id);

  console.log(`bench: registering ${BUYERS} buyers`);
  const buyers = await registerBuyers(urls, run, BUYERS);

  console.log(`bench: ${BUYERS} buyers checking out for ${SECONDS} s through ${APIS} API process(es)`);
  const latencies = [];
  const counts = { placed: 0, outOfStock: 0, cartShort: 0, other: 0, serverErrors: 0 };
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(
    buyers.map(async (buyer) => {
      while (Date.now() < deadline) {
        const productId = sellable[Math.floor(Math.random() * sellable.length)];
        const add = await call(buyer.url, 'POST', '/cart/items', buyer.token, { productId, quantity: 1 + Math.floor(Math.random() * 2) });
        if (add.status !== 200) {
          if (add.status === 409) counts.cartShort += 1;
          else if (add.status >= 500) counts.serverErrors += 1;
          else counts.other += 1;
          await call(buyer.url, 'DELETE', '/cart', buyer.token);
          continue;
        }
        const before = performance.now();
        const res = await call(buyer.url, 'POST', '/checkout', buyer.token, { shippingAddress: SHIPPING_ADDRESS });
        latencies.push(performance.now() - before);
        if (res.status === 201) counts.placed += 1;
        else if (res.status === 409) {
          counts.outOfStock += 1;
          await call(buyer.url, 'DELETE', '/cart', buyer.token);
        } else if (res.status >= 500) counts.serverErrors += 1;
        else counts.other += 1;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);

  // Invariants: per product, units held by placed orders + sellable = the initial stock.
  const orders = await connection.collection('orders').find({}, { projection: { status: 1, items: 1 } }).toArray();
  const sold = new Map();
  for (const order of orders) {
    if (order.status === 'cancelled') continue;
    for (const line of order.items) sold.set(line.productId.toHexString(), (sold.get(line.productId.toHexString()) ?? 0) + line.quantity);
  }
  const violations = [];
  for (const product of await products.find({}, { projection: { stock: 1, stockOnHand: 1, stockAllocated: 1 } }).toArray()) {
    const id = product._id.toHexString();
    const soldUnits = sold.get(id) ?? 0;
    if (product.stock < 0 || product.stockAllocated < 0) violations.push(`${id}: negative stock`);
    if (product.stockOnHand !== initial.get(id)) violations.push(`${id}: on hand changed`);
    if (soldUnits + product.stock !== initial.get(id)) violations.push(`${id}: sold ${soldUnits} + sellable ${product.stock} ≠ initial ${initial.get(id)}`);
    if (product.stockAllocated !== soldUnits) violations.push(`${id}: allocated ${product.stockAllocated} ≠ sold ${soldUnits}`);
  }
  const placing = orders.filter((order) => order.status === 'placing').length;

  console.log('');
  console.log(`checkout benchmark: ${BUYERS} buyers, ${PRODUCTS} products, ${APIS} API process(es), ${elapsed.toFixed(1)} s`);
  console.log(`  orders placed     ${counts.placed}  (${(counts.placed / elapsed).toFixed(1)} orders/s)`);
  console.log(`  checkout latency  p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms (${latencies.length} checkouts)`);
  console.log(`  refused           ${counts.outOfStock} checkout 409, ${counts.cartShort} cart 409, ${counts.other} other 4xx, ${counts.serverErrors} 5xx`);
  console.log(`  invariants        ${violations.length === 0 && placing === 0 ? 'hold' : 'VIOLATED'}: sold + sellable = initial for all ${initial.size} products, none negative, ${placing} unfinished checkouts`);
  for (const violation of violations.slice(0, 20)) console.log(`    ${violation}`);

  await connection.dropDatabase();
  await connection.close();
  if (violations.length > 0 || placing > 0 || counts.serverErrors > 0) process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
