// The checkout benchmark's client (run through scripts/bench/checkout.sh, which builds dist/).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';

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

const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const admin = { email: 'bench-admin@example.test', password: 'bench admin password' };
const env = {
  PATH: process.env.PATH ?? '',
  // JSON logs as in production; production itself refuses the local stack's published credentials.
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  MONGODB_URI: `${process.env.BENCH_MONGODB_URI ?? 'mongodb://127.0.0.1:27018'}/bench_${run}`,
  REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  REDIS_KEY_PREFIX: `bench_${run}`,
  JWT_ACCESS_SECRET: randomBytes(32).toString('hex'),
  // Every buyer registers and logs in from this one address: the per-client limits must not
  // decide the result.
  THROTTLE_LIMIT_PER_MINUTE: '100000',
  THROTTLE_REGISTER_PER_HOUR: '100000',
  THROTTLE_LOGIN_PER_MINUTE: '100000',
  // Buyers leave their orders unpaid: the cap on unpaid orders per customer must not decide it either.
  MAX_UNPAID_ORDERS: '1000000',
  S3_BUCKET: 'shop-media',
  S3_PUBLIC_URL: 'http://127.0.0.1:9000/shop-media',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  STRIPE_SECRET_KEY: 'sk_test_bench',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench',
  STRIPE_API_URL: `http://127.0.0.1:${process.env.STRIPE_MOCK_PORT ?? '12111'}`,
  ADMIN_EMAIL: admin.email,
  ADMIN_PASSWORD: admin.password,
};

const children = [];
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function waitForHealth(url) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/health`).catch(() => null))?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not come up`);
}

async function call(url, method, path, token, body) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const urls = [];
  for (let index = 0; index < APIS; index += 1) {
    const port = await freePort();
    children.push(spawn(process.execPath, ['dist/src/main.js'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] }));
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(urls.map(waitForHealth));

  console.log(`bench: seeding ${PRODUCTS} products`);
  await new Promise((resolve, reject) => {
    // One variant per product: buyers add products by id (a product with several needs a variantId), as before variants.
    const seed = spawn(process.execPath, ['dist/src/seed/seed.js', 'bulk', '--count', String(PRODUCTS), '--variants', '1'], { env, stdio: 'ignore' });
    seed.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed exited ${code}`))));
  });
  const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
  const products = connection.collection('products');
  const initial = new Map((await products.find({}, { projection: { stockOnHand: 1 } }).toArray()).map((p) => [p._id.toHexString(), p.stockOnHand]));
  const sellable = [...initial].filter(([, stock]) => stock > 0).map(([id]) => id);

  console.log(`bench: registering ${BUYERS} buyers`);
  const buyers = [];
  for (let start = 0; start < BUYERS; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, BUYERS - start) }, async (_, offset) => {
        const url = urls[(start + offset) % urls.length];
        const res = await call(url, 'POST', '/auth/register', undefined, { email: `bench-${run}-${start + offset}@example.test`, password: 'bench password 1', name: 'Bench' });
        if (res.status !== 201) throw new Error(`register: ${res.status}`);
        return { url, token: res.body.accessToken };
      }),
    );
    buyers.push(...batch);
  }

  console.log(`bench: ${BUYERS} buyers checking out for ${SECONDS} s through ${APIS} API process(es)`);
  const latencies = [];
  const counts = { placed: 0, outOfStock: 0, cartShort: 0, other: 0, serverErrors: 0 };
  const address = { fullName: 'Bench Buyer', line1: '1 Load Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
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
        const res = await call(buyer.url, 'POST', '/checkout', buyer.token, { shippingAddress: address });
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
