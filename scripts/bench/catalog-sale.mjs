// The catalog-during-a-sale benchmark's client (run through scripts/bench/catalog-sale.sh, which
// builds dist/). The listing is one anonymous category page; the buyers buy products shown on
// it, so every sale changes what the page shows, and in the 'sale elsewhere' phases the same
// sale of products of another category (a shop's usual case: most pages show nothing selling).
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { benchEnvironment, call, newRunName, registerBuyers, seedBulk, SHIPPING_ADDRESS, startApis } from './api-processes.mjs';
import processCpu from './process-cpu.js';

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '10' },
    products: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    apis: { type: 'string', default: '1' },
    // A CPU profile of the (first) API process, summarised over the counted sale phases.
    profile: { type: 'boolean', default: false },
  },
});
const BUYERS = Number(args.buyers);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);

const run = newRunName();
const env = benchEnvironment(run);
const children = [];
const profileDir = args.profile ? mkdtempSync(join(tmpdir(), 'catalog-sale-profile-')) : undefined;
/** The counted sale phases, in monotonic microseconds (the profile's clock). */
const salePhases = [];
const monotonicMicros = () => process.hrtime.bigint() / 1000n;
/**
 * The local servers the phases keep busy besides the API, found by their ports: with the API's
 * and the bench's own (autocannon and the buyers), where the machine's cores went in each phase.
 */
const SERVERS = { MongoDB: env.MONGODB_URI, Redis: env.REDIS_URL, 'stripe-mock': env.STRIPE_API_URL };
const unseenServers = new Set();
/** CPU µs so far of every process the run keeps busy, by name (the API processes together). */
function machineCpuMicros() {
  return { API: children.reduce((sum, child) => sum + processCpu.cpuMicros(child.pid), 0), ...processCpu.serverCpuMicros(SERVERS, unseenServers) };
}

/** What the buyers do in a loop while the listing is measured; each step's statuses are counted. */
const LOADS = {
  alone: null,
  // The sale: a unit of a listed product into the cart, checkout (stock allocated), cancel (released).
  'checkout + cancel': async (buyer, productId, tally) => {
    tally(await call(buyer.url, 'POST', '/cart/items', buyer.token, { productId, quantity: 1 }));
    const order = await call(buyer.url, 'POST', '/checkout', buyer.token, { shippingAddress: SHIPPING_ADDRESS });
    tally(order);
    if (order.status === 201) tally(await call(buyer.url, 'POST', `/orders/${order.body.id}/cancel`, buyer.token));
    else tally(await call(buyer.url, 'DELETE', '/cart', buyer.token));
  },
  // The same sale, of products of another category: none of them on the listed page.
  'sale elsewhere': async (...args) => LOADS['checkout + cancel'](...args),
  // The control: the same buyers, no stock taken.
  'cart lines only': async (buyer, productId, tally) => {
    tally(await call(buyer.url, 'POST', '/cart/items', buyer.token, { productId, quantity: 1 }));
    tally(await call(buyer.url, 'GET', '/cart', buyer.token));
    tally(await call(buyer.url, 'DELETE', `/cart/items/${productId}`, buyer.token));
  },
};

/** The outcome a catalog answer's Cache-Status header names (src/products/catalog-cache.ts). */
function outcomeOf(cacheStatus) {
  if (!cacheStatus) return 'none';
  if (cacheStatus.includes('detail=figures')) return 'hit+figures';
  if (cacheStatus.includes('; hit')) return 'hit';
  if (cacheStatus.includes('collapsed')) return 'miss, waited';
  if (cacheStatus.includes('fwd=miss')) return 'miss';
  return 'bypass';
}

/** Counts the listing's answers by Cache-Status, read from the headers of every answer autocannon gets. */
function countOutcomes(outcomes) {
  return (client) =>
    client.on('headers', ({ headers }) => {
      let status;
      for (let index = 0; index < headers.length; index += 2) if (String(headers[index]).toLowerCase() === 'cache-status') status = String(headers[index + 1]);
      const outcome = outcomeOf(status);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(listing, load, buyers, productIds) {
  const loops = { done: 0, statuses: {} };
  const outcomes = {};
  const tally = (res) => (loops.statuses[res.status] = (loops.statuses[res.status] ?? 0) + 1);
  let running = load !== null;
  const buying = load
    ? Promise.all(
        buyers.map(async (buyer, index) => {
          for (let turn = index; running; turn += 1) {
            await load(buyer, productIds[turn % productIds.length], tally);
            loops.done += 1;
          }
        }),
      )
    : Promise.resolve();
  // The buyers get going before the listing is measured.
  if (load) await new Promise((resolve) => setTimeout(resolve, 500));
  const from = monotonicMicros();
  const cpuFrom = processCpu.cpuMicros(children[0].pid);
  const machineFrom = machineCpuMicros();
  const result = await autocannon({ url: listing, connections: CONNECTIONS, duration: SECONDS, setupClient: countOutcomes(outcomes) });
  const phase = [from, monotonicMicros()];
  // The API's CPU over the phase, as a share of one core: whether it was saturated (CPU-bound)
  // or waiting (on MongoDB, Redis, or a machine with no core free for it).
  const apiCpu = { micros: processCpu.cpuMicros(children[0].pid) - cpuFrom, wall: Number(phase[1] - phase[0]) };
  const machineTo = machineCpuMicros();
  const machineCpu = Object.fromEntries(Object.keys(machineTo).filter((name) => name in machineFrom).map((name) => [name, machineTo[name] - machineFrom[name]]));
  running = false;
  await buying;
  return { result, loops, outcomes, phase, apiCpu, machineCpu };
}

async function main() {
  const urls = await startApis(env, Number(args.apis), children, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  console.log(`bench: seeding ${args.products} products`);
  // One variant per product: buyers add products by id, as before variants.
  await seedBulk(env, Number(args.products), 1);
  const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();

  // The biggest category's first page, as a shopper sees it.
  const [{ _id: category }] = await connection
    .collection('products')
    .aggregate([{ $match: { status: 'active' } }, { $group: { _id: '$category', n: { $sum: 1 } } }, { $sort: { n: -1 } }, { $limit: 1 }])
    .toArray();
  const listing = `${urls[0]}/api/v1/products?category=${encodeURIComponent(category)}&limit=20`;
  const page = (await call(urls[0], 'GET', `/products?category=${encodeURIComponent(category)}&limit=20`)).body;
  const productIds = page.items.filter((item) => item.stock >= BUYERS).map((item) => item.id);
  if (productIds.length === 0) throw new Error('no product on the listed page has stock for the buyers');
  // The first page of another category: what the buyers buy in the 'sale elsewhere' phases.
  const otherPage = (await call(urls[0], 'GET', `/products?limit=100`)).body.items.filter((item) => item.category !== category && item.stock >= BUYERS).slice(0, 20);
  const elsewhereIds = otherPage.map((item) => item.id);
  if (elsewhereIds.length === 0) throw new Error('no product outside the listed category has stock for the buyers');
  const boughtFor = (name) => (name === 'sale elsewhere' ? elsewhereIds : productIds);
  console.log(`bench: registering ${BUYERS} buyers`);
  const buyers = await registerBuyers(urls, run, BUYERS);

  console.log(`listing: ${listing} (${page.total} products in the category, ${productIds.length} of the page's bought)`);
  console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per scenario and round, ${ROUNDS} rounds, interleaved`);
  for (const name of Object.keys(LOADS)) await measure(listing, LOADS[name], buyers, boughtFor(name)); // warm-up, not counted
  const results = Object.fromEntries(Object.keys(LOADS).map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const name of Object.keys(LOADS)) {
      const measured = await measure(listing, LOADS[name], buyers, boughtFor(name));
      results[name].push(measured);
      if (name === 'checkout + cancel') salePhases.push(measured.phase);
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }

  const pad = (text, width) => String(text).padEnd(width);
  console.log(`\n${pad('listing while buyers do', 24)}${pad('req/s', 9)}${pad('per round', 20)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('non-2xx', 9)}${pad('API CPU', 9)}${pad('buyer loops/s', 15)}buyer answers`);
  const rps = {};
  for (const [name, runs] of Object.entries(results)) {
    const requests = runs.reduce((sum, { result }) => sum + result.requests.total, 0);
    const seconds = runs.reduce((sum, { result }) => sum + result.duration, 0);
    rps[name] = requests / seconds;
    const loops = runs.reduce((sum, { loops }) => sum + loops.done, 0);
    const statuses = {};
    for (const { loops: each } of runs) for (const [status, count] of Object.entries(each.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    const non2xx = runs.reduce((sum, { result }) => sum + result.non2xx + result.errors + result.timeouts, 0);
    console.log(
      `${pad(name === 'alone' ? '(nothing: alone)' : name, 24)}${pad(Math.round(rps[name]), 9)}${pad(runs.map(({ result }) => Math.round(result.requests.average)).join(' / '), 20)}` +
        `${pad(median(runs.map(({ result }) => result.latency.p50)), 8)}${pad(median(runs.map(({ result }) => result.latency.p99)), 8)}${pad(non2xx, 9)}${pad(`${apiCpuShare(runs)} %`, 9)}` +
        `${pad(name === 'alone' ? '-' : (loops / seconds).toFixed(1), 15)}${Object.entries(statuses).map(([status, count]) => `${status}×${count}`).join(' ') || '-'}`,
    );
  }
  console.log('\nthe listing\'s answers by Cache-Status (hit: as stored; hit+figures: live stock laid over; miss: computed; miss, waited: joined another\'s computation)');
  for (const [name, runs] of Object.entries(results)) {
    const outcomes = {};
    for (const { outcomes: each } of runs) for (const [outcome, count] of Object.entries(each)) outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
    const total = Object.values(outcomes).reduce((sum, count) => sum + count, 0);
    const share = (outcome) => `${outcome} ${((100 * (outcomes[outcome] ?? 0)) / Math.max(1, total)).toFixed(1)} %`;
    const hits = (outcomes.hit ?? 0) + (outcomes['hit+figures'] ?? 0);
    console.log(
      `${pad(name === 'alone' ? '(nothing: alone)' : name, 24)}cache hits ${((100 * hits) / Math.max(1, total)).toFixed(1)} % (${['hit', 'hit+figures', 'miss', 'miss, waited', 'bypass', 'none'].filter((outcome) => outcomes[outcome]).map(share).join(', ')})`,
    );
  }
  console.log(`\nwhere the cores went during each phase, in % of one core (${availableParallelism()} cores: ${availableParallelism() * 100} %)`);
  for (const [name, runs] of Object.entries(results)) {
    const wall = runs.reduce((sum, { apiCpu }) => sum + apiCpu.wall, 0);
    const byProcess = {};
    for (const { machineCpu } of runs) for (const [process, micros] of Object.entries(machineCpu)) byProcess[process] = (byProcess[process] ?? 0) + micros;
    const share = (micros) => Math.round((100 * micros) / Math.max(1, wall));
    const all = Object.values(byProcess).reduce((sum, micros) => sum + micros, 0);
    console.log(`${pad(name === 'alone' ? '(nothing: alone)' : name, 24)}${Object.entries(byProcess).map(([process, micros]) => `${process} ${share(micros)} %`).join(', ')}; all ${share(all)} %`);
  }
  if (unseenServers.size > 0) console.log(`(not counted, process not found: ${[...unseenServers].join(', ')})`);
  console.log('');
  for (const name of Object.keys(LOADS).filter((name) => name !== 'alone')) {
    console.log(`${pad(`listing during ${name}`, 40)}${((100 * rps[name]) / rps.alone).toFixed(0)} % of its throughput alone`);
  }

  await connection.dropDatabase();
  await connection.close();
  if (profileDir) await printProfile();
}

/** The API process's CPU over the runs' phases, in % of one core. */
function apiCpuShare(runs) {
  const micros = runs.reduce((sum, { apiCpu }) => sum + apiCpu.micros, 0);
  const wall = runs.reduce((sum, { apiCpu }) => sum + apiCpu.wall, 0);
  return Math.round((100 * micros) / Math.max(1, wall));
}

/** Stops the API processes (the profiled one writes its profile on exit) and summarises it over the sale phases. */
async function printProfile() {
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))))));
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile in ${profileDir}`);
  console.log(`\nCPU profile of the first API process during the sale (checkout + cancel) phases (${join(profileDir, file)}):`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
  const sinceStart = (at) => Number(at - BigInt(profile.startTime)) / 1000;
  createRequire(import.meta.url)('./profile-summary.js').print(profile, salePhases.map((phase) => phase.map(sinceStart)));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
