// The checkout benchmark's client (run through scripts/bench/checkout.sh, which builds dist/).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { benchEnvironment, call, newRunName, registerBuyers, seedBulk, SHIPPING_ADDRESS, startApis } from './api-processes.mjs';
import processCpu from './process-cpu.js';

const { cpuMicros } = processCpu;

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '50' },
    products: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    apis: { type: 'string', default: '2' },
    // Plain checkouts and checkouts with a tax rate and an automatic promotion, alternating.
    pricing: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '2' },
    // With --pricing: plain and priced buyers at the same time (half each) instead of alternating phases.
    'side-by-side': { type: 'boolean', default: false },
    // A CPU profile of the first API process over the checkout phases, summarised at the end.
    profile: { type: 'boolean', default: false },
  },
});
const BUYERS = Number(args.buyers);
const PRODUCTS = Number(args.products);
const SECONDS = Number(args.seconds);
const APIS = Number(args.apis);
const PRICING = args.pricing;
const ROUNDS = Number(args.rounds);
const SIDE_BY_SIDE = PRICING && args['side-by-side'];
/** Where side-by-side plain buyers ship: a country without a tax rate. */
const PLAIN_ADDRESS = { ...SHIPPING_ADDRESS, city: 'Wien', postalCode: '1010', country: 'AT' };
const PROFILE = args.profile;
const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'checkout-profile-')) : undefined;

const run = newRunName();
const env = benchEnvironment(run);
const children = [];


/**
 * CPU seconds (user + system) the API processes have used so far. Unlike orders/s, the CPU an
 * order costs is the run's own: other work on a shared machine slows it but does not add to it.
 */
function apiCpuSeconds() {
  return children.reduce((sum, child) => sum + cpuMicros(child.pid), 0) / 1e6;
}

/**
 * The other processes an order keeps busy on this machine, found by the ports they listen on
 * (the bench's own client too): with the API's, what one order costs the whole machine, and so
 * the most orders/s its cores can give, whatever the code does with its waits.
 */
const SERVERS = { MongoDB: env.MONGODB_URI, Redis: env.REDIS_URL, 'stripe-mock': env.STRIPE_API_URL };
/** Servers the CPU line leaves out: their process was not found (no `ss`, another URL form, another user's). */
const unseenServers = new Set();
const serverCpuMicros = () => processCpu.serverCpuMicros(SERVERS, unseenServers);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Every buyer adds to their cart and checks out until `seconds` have passed; what happened. */
async function checkoutFor(buyers, sellable, seconds, address = SHIPPING_ADDRESS) {
  const latencies = [];
  const counts = { placed: 0, priced: 0, outOfStock: 0, cartShort: 0, other: 0, serverErrors: 0 };
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  const cpuBefore = apiCpuSeconds();
  const serversBefore = serverCpuMicros();
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
        if (res.status === 201) {
          counts.placed += 1;
          if (res.body.taxTotal > 0 && res.body.promotions.length > 0) counts.priced += 1;
        } else if (res.status === 409) {
          counts.outOfStock += 1;
          await call(buyer.url, 'DELETE', '/cart', buyer.token);
        } else if (res.status >= 500) counts.serverErrors += 1;
        else counts.other += 1;
      }
    }),
  );
  const serversAfter = serverCpuMicros();
  const servers = Object.fromEntries(Object.keys(serversAfter).filter((name) => name in serversBefore).map((name) => [name, (serversAfter[name] - serversBefore[name]) / 1e6]));
  return { latencies, counts, elapsed: (Date.now() - started) / 1000, cpu: apiCpuSeconds() - cpuBefore, servers, buyers: buyers.length };
}

/** CPU per order of every process the run kept busy, and the orders/s the machine's cores allow at that cost. */
function machineLine(phase) {
  const perOrder = (seconds) => (seconds * 1000) / Math.max(1, phase.counts.placed);
  const parts = [['API', phase.cpu], ...Object.entries(phase.servers)];
  const total = parts.reduce((sum, [, seconds]) => sum + perOrder(seconds), 0);
  const cores = availableParallelism();
  console.log(
    `  CPU per order     ${parts.map(([name, seconds]) => `${name} ${perOrder(seconds).toFixed(1)} ms`).join(', ')}; all ${total.toFixed(1)} ms, ` +
      `so at most ${Math.floor((cores * 1000) / total)} orders/s on ${cores} cores` +
      (unseenServers.size > 0 ? ` (not counted, process not found: ${[...unseenServers].join(', ')})` : ''),
  );
}

const rate = (phase) => (phase.counts.placed / phase.elapsed).toFixed(1);
/** API-process CPU milliseconds per order placed. */
const cpuPerOrder = (phase) => ((phase.cpu * 1000) / Math.max(1, phase.counts.placed)).toFixed(1);

/** The phases of one kind as one: latencies pooled, counts and time added up. */
function merged(phases) {
  const counts = { placed: 0, priced: 0, outOfStock: 0, cartShort: 0, other: 0, serverErrors: 0 };
  for (const phase of phases) for (const key of Object.keys(counts)) counts[key] += phase.counts[key];
  const latencies = phases.flatMap((phase) => phase.latencies).sort((a, b) => a - b);
  const servers = {};
  for (const phase of phases) for (const [name, seconds] of Object.entries(phase.servers)) servers[name] = (servers[name] ?? 0) + seconds;
  return { counts, latencies, elapsed: phases.reduce((sum, phase) => sum + phase.elapsed, 0), cpu: phases.reduce((sum, phase) => sum + phase.cpu, 0), servers, buyers: phases[0]?.buyers ?? 0 };
}

async function main() {
  const urls = await startApis(env, APIS, children, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);

  console.log(`bench: seeding ${PRODUCTS} products`);
  // One variant per product: buyers add products by id (a product with several needs a variantId), as before variants.
  await seedBulk(env, PRODUCTS, 1);
  const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
  const products = connection.collection('products');
  const seeded = await products.find({}, { projection: { stockOnHand: 1, category: 1 } }).toArray();
  const initial = new Map(seeded.map((p) => [p._id.toHexString(), p.stockOnHand]));
  const sellable = [...initial].filter(([, stock]) => stock > 0).map(([id]) => id);

  console.log(`bench: registering ${BUYERS} buyers`);
  const buyers = await registerBuyers(urls, run, BUYERS);

  const plan = SIDE_BY_SIDE ? `${ROUNDS} × ${SECONDS} s, half of them plain and half priced at the same time` : PRICING ? `${ROUNDS} × (${SECONDS} s plain + ${SECONDS} s priced)` : `${SECONDS} s`;
  console.log(`bench: ${BUYERS} buyers checking out for ${plan} through ${APIS} API process(es)`);
  const phases = { plain: [], priced: [] };
  let elapsedTotal;
  // Monotonic microseconds, the clock of the profile's own timestamps (CLOCK_MONOTONIC, shared by processes).
  const measuredFrom = process.hrtime.bigint() / 1000n;

  if (!PRICING) {
    const result = await checkoutFor(buyers, sellable, SECONDS);
    elapsedTotal = result.elapsed;
    phases.plain.push(result);
  } else if (SIDE_BY_SIDE) {
    // Both kinds share every second of the run, so the machine's noise falls on both exactly
    // alike. Priced buyers buy from half of the categories, which an automatic 10 % promotion
    // covers, and ship to the taxed country; plain buyers buy from the other categories and ship
    // where no tax rate is defined (their quotes still read, and pass over, the promotion and rates).
    const admin = await call(urls[0], 'POST', '/auth/login', undefined, { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
    if (admin.status !== 200) throw new Error(`admin login: ${admin.status}`);
    const categoryOf = new Map(seeded.map((p) => [p._id.toHexString(), p.category]));
    const categories = [...new Set(categoryOf.values())].sort();
    const promoted = categories.slice(0, Math.ceil(categories.length / 2));
    const taxRate = await call(urls[0], 'POST', '/admin/tax-rates', admin.body.accessToken, { country: SHIPPING_ADDRESS.country, rate: 1900, name: 'Bench VAT' });
    const promotion = await call(urls[0], 'POST', '/admin/promotions', admin.body.accessToken, { name: 'Bench ten off', type: 'percentage', value: 1000, categorySlugs: promoted });
    if (taxRate.status !== 201 || promotion.status !== 201) throw new Error(`pricing setup: tax rate ${taxRate.status}, promotion ${promotion.status}`);
    // Each kind spread evenly over the API processes (buyer i is registered with process i mod APIS).
    const pricedBuyers = buyers.filter((_, index) => Math.floor(index / APIS) % 2 === 1);
    const plainBuyers = buyers.filter((_, index) => Math.floor(index / APIS) % 2 === 0);
    const pricedSellable = sellable.filter((id) => promoted.includes(categoryOf.get(id)));
    const plainSellable = sellable.filter((id) => !promoted.includes(categoryOf.get(id)));
    for (let round = 0; round < ROUNDS; round += 1) {
      const [plainPhase, pricedPhase] = await Promise.all([
        checkoutFor(plainBuyers, plainSellable, SECONDS, PLAIN_ADDRESS),
        checkoutFor(pricedBuyers, pricedSellable, SECONDS, SHIPPING_ADDRESS),
      ]);
      phases.plain.push(plainPhase);
      phases.priced.push(pricedPhase);
      console.log(`bench: round ${round + 1}/${ROUNDS}: plain ${rate(plainPhase)}, priced ${rate(pricedPhase)} orders/s (${plainBuyers.length} and ${pricedBuyers.length} buyers)`);
    }
    elapsedTotal = phases.plain.reduce((sum, phase) => sum + phase.elapsed, 0);
  } else {
    // Plain and priced phases alternate in the same run, so the machine's noise falls on both alike.
    const admin = await call(urls[0], 'POST', '/auth/login', undefined, { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
    if (admin.status !== 200) throw new Error(`admin login: ${admin.status}`);
    const promotion = await call(urls[0], 'POST', '/admin/promotions', admin.body.accessToken, { name: 'Bench ten off', type: 'percentage', value: 1000, active: false });
    if (promotion.status !== 201) throw new Error(`promotion: ${promotion.status}`);
    const pricedPhase = async () => {
      const taxRate = await call(urls[0], 'POST', '/admin/tax-rates', admin.body.accessToken, { country: SHIPPING_ADDRESS.country, rate: 1900, name: 'Bench VAT' });
      const on = await call(urls[0], 'PATCH', `/admin/promotions/${promotion.body.id}`, admin.body.accessToken, { active: true });
      if (taxRate.status !== 201 || on.status !== 200) throw new Error(`pricing setup: tax rate ${taxRate.status}, promotion ${on.status}`);
      const phase = await checkoutFor(buyers, sellable, SECONDS);
      const off = await call(urls[0], 'PATCH', `/admin/promotions/${promotion.body.id}`, admin.body.accessToken, { active: false });
      const gone = await call(urls[0], 'DELETE', `/admin/tax-rates/${taxRate.body.id}`, admin.body.accessToken);
      if (off.status !== 200 || gone.status >= 300) throw new Error(`pricing teardown: promotion ${off.status}, tax rate ${gone.status}`);
      return phase;
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      // Plain first in odd rounds, priced first in even ones: a machine that gets busier or
      // quieter during the run (and the first phase's warm-up) then favours neither kind.
      for (const kind of round % 2 === 0 ? ['plain', 'priced'] : ['priced', 'plain']) {
        phases[kind].push(kind === 'plain' ? await checkoutFor(buyers, sellable, SECONDS) : await pricedPhase());
        const label = kind === 'plain' ? 'plain' : `priced (tax rate for ${SHIPPING_ADDRESS.country}, an automatic 10 % promotion)`;
        console.log(`bench: round ${round + 1}/${ROUNDS}, ${label}: ${rate(phases[kind].at(-1))} orders/s, ${cpuPerOrder(phases[kind].at(-1))} ms API CPU per order`);
      }
    }
    elapsedTotal = [...phases.plain, ...phases.priced].reduce((sum, phase) => sum + phase.elapsed, 0);
  }
  const measuredTo = process.hrtime.bigint() / 1000n;
  const plain = merged(phases.plain);
  const priced = merged(phases.priced);
  const counts = merged([...phases.plain, ...phases.priced]).counts;

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

  const line = (label, kind) =>
    console.log(
      `  ${label}  ${kind.counts.placed} orders in ${kind.elapsed.toFixed(1)} s (${rate(kind)} orders/s), checkout p50 ${percentile(kind.latencies, 50).toFixed(0)} ms, p99 ${percentile(kind.latencies, 99).toFixed(0)} ms (${kind.latencies.length} checkouts)${SIDE_BY_SIDE ? '' : `, ${cpuPerOrder(kind)} ms API CPU per order`}`,
    );
  console.log('');
  console.log(`checkout benchmark: ${BUYERS} buyers, ${PRODUCTS} products, ${APIS} API process(es), ${elapsedTotal.toFixed(1)} s${SIDE_BY_SIDE ? `, ${ROUNDS} round(s) of ${SECONDS} s plain and priced side by side` : PRICING ? `, ${ROUNDS} round(s) of ${SECONDS} s plain + ${SECONDS} s priced` : ''}`);
  line(PRICING ? 'plain  ' : 'orders ', plain);
  if (PRICING) {
    line('priced ', priced);
    console.log(`  with tax + promo  ${priced.counts.priced} of ${priced.counts.placed} priced orders, ${plain.counts.priced} of ${plain.counts.placed} plain ones`);
    // Per buyer: side by side, the two halves may differ by a few buyers.
    const perBuyer = (phase) => phase.counts.placed / phase.elapsed / phase.buyers;
    const ratio = (pricedPhase, plainPhase) => (perBuyer(pricedPhase) / perBuyer(plainPhase)).toFixed(2);
    console.log(`  priced / plain    ${ratio(priced, plain)} of the orders/s${SIDE_BY_SIDE ? ' per buyer' : ''} (per round: ${phases.priced.map((phase, index) => ratio(phase, phases.plain[index])).join(', ')})`);
    if (!SIDE_BY_SIDE) console.log(`  API CPU per order priced / plain ${(priced.cpu / priced.counts.placed / (plain.cpu / plain.counts.placed)).toFixed(2)} (per round: ${phases.priced.map((phase, index) => (phase.cpu / phase.counts.placed / (phases.plain[index].cpu / phases.plain[index].counts.placed)).toFixed(2)).join(', ')})`);
  }
  if (!SIDE_BY_SIDE) machineLine(merged([...phases.plain, ...phases.priced]));
  console.log(`  refused           ${counts.outOfStock} checkout 409, ${counts.cartShort} cart 409, ${counts.other} other 4xx, ${counts.serverErrors} 5xx`);
  console.log(`  invariants        ${violations.length === 0 && placing === 0 ? 'hold' : 'VIOLATED'}: sold + sellable = initial for all ${initial.size} products, none negative, ${placing} unfinished checkouts`);
  for (const violation of violations.slice(0, 20)) console.log(`    ${violation}`);

  await connection.dropDatabase();
  await connection.close();
  if (PROFILE) await printProfile([measuredFrom, measuredTo]);
  // A priced order without the tax or the promotion (or a plain one with them) means the phases measured something else.
  const pricedAsMeant = priced.counts.priced === priced.counts.placed && plain.counts.priced === 0;
  if (violations.length > 0 || placing > 0 || counts.serverErrors > 0 || !pricedAsMeant) process.exitCode = 1;
}

/** Stops the API processes (the profiled one writes its profile on exit) and summarises the profile. */
async function printProfile(window) {
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM'))))));
  const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile in ${profileDir}`);
  console.log(`\nCPU profile of the first API process over the checkout phases (${join(profileDir, file)}):`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
  // The summary's window is in ms since the profile started.
  const sinceStart = (at) => Number(at - BigInt(profile.startTime)) / 1000;
  createRequire(import.meta.url)('./profile-summary.js').print(profile, window.map(sinceStart));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
