// API CPU per request of a buyer's steps, one request at a time (no contention), from the API
// process's own CPU counters: what each step costs the server, which concurrent benchmarks
// cannot separate. Run through scripts/bench/request-cpu.sh (builds dist/). Numbers only.
import { parseArgs } from 'node:util';
import { benchEnvironment, call, newRunName, registerBuyers, seedBulk, SHIPPING_ADDRESS, startApis } from './api-processes.mjs';
import mongoose from 'mongoose';
import processCpu from './process-cpu.js';

const { cpuMicros } = processCpu;

const { values: args } = parseArgs({ options: { loops: { type: 'string', default: '300' }, products: { type: 'string', default: '200' } } });
const LOOPS = Number(args.loops);
const run = newRunName();
const env = benchEnvironment(run);
const children = [];

async function main() {
  const [url] = await startApis(env, 1, children);
  const pid = children[0].pid;
  await seedBulk(env, Number(args.products), 1);
  const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
  const ids = (await connection.collection('products').find({ stockOnHand: { $gt: 0 } }, { projection: { _id: 1 } }).toArray()).map((p) => p._id.toHexString());
  const [buyer] = await registerBuyers([url], run, 1);
  const steps = new Map();
  // Each step's CPU is read after a short pause, so that work the step started in the
  // background (relays, queue adds) is counted with it, not with the next step.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 15));
  async function step(name, send) {
    await settle();
    const before = cpuMicros(pid);
    const res = await send();
    await settle();
    const spent = cpuMicros(pid) - before;
    const entry = steps.get(name) ?? { n: 0, micros: 0, statuses: {} };
    entry.n += 1;
    entry.micros += spent;
    entry.statuses[res.status] = (entry.statuses[res.status] ?? 0) + 1;
    steps.set(name, entry);
    return res;
  }
  // The settle pauses cost a little CPU too (timers, idle loop): measured alone, subtracted.
  for (let i = 0; i < LOOPS; i += 1) await step('(idle pause)', async () => ({ status: 0 }));
  for (let i = 0; i < LOOPS; i += 1) {
    const productId = ids[i % ids.length];
    await step('POST /cart/items', () => call(url, 'POST', '/cart/items', buyer.token, { productId, quantity: 1 }));
    await step('GET /cart', () => call(url, 'GET', '/cart', buyer.token));
    const order = await step('POST /checkout', () => call(url, 'POST', '/checkout', buyer.token, { shippingAddress: SHIPPING_ADDRESS }));
    if (order.status === 201) await step('POST /orders/:id/cancel', () => call(url, 'POST', `/orders/${order.body.id}/cancel`, buyer.token));
    else await call(url, 'DELETE', '/cart', buyer.token);
  }
  const idle = steps.get('(idle pause)').micros / steps.get('(idle pause)').n;
  console.log(`API CPU per request, one at a time, ${LOOPS} loops (idle pause ${Math.round(idle)} µs subtracted):`);
  for (const [name, { n, micros, statuses }] of steps) {
    if (name.startsWith('(')) continue;
    console.log(`  ${name.padEnd(28)}${(micros / n - idle).toFixed(0).padStart(7)} µs   ${Object.entries(statuses).map(([s, c]) => `${s}×${c}`).join(' ')}`);
  }
  await connection.dropDatabase();
  await connection.close();
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
