// Driven by catalog-read.sh, which seeds the catalog and sets the environment of the API.
const autocannon = require('autocannon');
const { fork, spawn } = require('node:child_process');
const { mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { MongoClient } = require('mongodb');
const Redis = require('ioredis');
const { cpuMicros } = require('./process-cpu');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PROFILE = process.env.BENCH_PROFILE === '1';
const work = mkdtempSync(join(tmpdir(), 'catalog-bench-'));
const children = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, what) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not answer ${url}`);
}

const apiLog = join(work, 'api.log');

async function startApi(port, nodeArgs = []) {
  const log = openSync(apiLog, 'a');
  const child = spawn(process.execPath, [...nodeArgs, 'dist/src/main.js'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', log, log] });
  children.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/health`, 'the API');
  return child;
}

async function startHelper(script, port, bodyFile, layers = '') {
  const child = fork(script, { env: { ...process.env, PORT: String(port), BENCH_BODY_FILE: bodyFile, BENCH_LAYERS: layers }, stdio: 'inherit' });
  children.push(child);
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}


function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/**
 * One autocannon run of the scenario, with the CPU time its server spent (`cpuMicros`): the
 * cost per answer, which the machine's other load moves far less than the throughput.
 */
async function cannon(scenario) {
  const pid = scenario.server?.().pid;
  const cpuBefore = pid === undefined ? undefined : cpuMicros(pid);
  const result = await autocannon({
    url: scenario.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...(scenario.path && { requests: [{ setupRequest: (request) => ({ ...request, path: scenario.path() }) }] }),
  });
  return { ...result, serverCpuMicros: pid === undefined ? undefined : cpuMicros(pid) - cpuBefore };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const [apiPort, ceilingPort, barePort] = [await freePort(), await freePort(), await freePort()];
  const layerPorts = { web: await freePort(), logging: await freePort(), redis1: await freePort(), redis2: await freePort() };
  const api = `http://127.0.0.1:${apiPort}/api/v1`;
  let apiProcess = await startApi(apiPort);

  const hitSearch = `${api}/products?q=wireless%20head&limit=20`;
  const hitBody = await (await fetch(hitSearch)).text();
  const { items, total } = JSON.parse(hitBody);
  if (items.length === 0) throw new Error('the repeated search finds nothing: is the catalog seeded?');
  const slug = items[0].slug;
  const bodyFile = join(work, 'body.json');
  writeFileSync(bodyFile, hitBody);
  const ceilingProcess = await startHelper(join(__dirname, 'nest-ceiling.js'), ceilingPort, bodyFile);
  const bareProcess = await startHelper(join(__dirname, 'bare-http.js'), barePort, bodyFile);
  // The ceiling with one more layer of the API's hit path each: what each layer costs.
  const LAYERS = { web: 'web', logging: 'web,logging', redis1: 'web,logging,redis1', redis2: 'web,logging,redis2' };
  const layerProcesses = {};
  for (const [name, layers] of Object.entries(LAYERS)) layerProcesses[name] = await startHelper(join(__dirname, 'nest-ceiling.js'), layerPorts[name], bodyFile, layers);
  const theApi = () => apiProcess;

  // Two option filters (seed bulk's Size × Color variants): one variant must have both, in stock.
  const optionSearch = `${api}/products?option.Size=M&option.Color=Red&inStock=true&limit=20`;
  const sizes = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
  const colors = ['Black', 'White', 'Red', 'Blue', 'Green'];
  const words = ['wireless', 'compact', 'premium kettle', 'smart', 'eco', 'pro speaker', 'vintage', 'classic mug', 'ultra', 'rugged'];
  let distinct = 0;
  const scenarios = [
    { name: 'search, repeated (cache hit)', url: hitSearch, server: theApi },
    { name: 'category listing (cache hit)', url: `${api}/products?category=audio&limit=20`, server: theApi },
    { name: 'product by slug (cache hit)', url: `${api}/products/${slug}`, server: theApi },
    {
      name: 'distinct searches (cache miss)',
      server: theApi,
      url: api,
      path: () => `/api/v1/products?q=${encodeURIComponent(words[distinct % words.length])}&minPrice=${(distinct += 1)}&limit=20`,
    },
    { name: 'two option filters (cache hit)', url: optionSearch, server: theApi },
    {
      name: 'two option filters (cache miss)',
      server: theApi,
      url: api,
      path: () => {
        const n = (distinct += 1);
        return `/api/v1/products?option.Size=${sizes[n % sizes.length]}&option.Color=${colors[n % colors.length]}&inStock=true&minPrice=${n}&limit=20`;
      },
    },
    // Another parameter makes another cache key: every request is a miss of the product read.
    { name: 'product by slug (cache miss)', url: api, path: () => `/api/v1/products/${slug}?n=${(distinct += 1)}`, server: theApi },
    { name: 'NestJS + Express ceiling, same bytes', url: `http://127.0.0.1:${ceilingPort}/ceiling`, server: () => ceilingProcess },
    { name: 'bare node:http, same bytes', url: `http://127.0.0.1:${barePort}/`, server: () => bareProcess },
    { name: 'ceiling + helmet, CORS', url: `http://127.0.0.1:${layerPorts.web}/ceiling`, server: () => layerProcesses.web },
    { name: 'ceiling + helmet, CORS, pino-http', url: `http://127.0.0.1:${layerPorts.logging}/ceiling`, server: () => layerProcesses.logging },
    { name: '  + 1 Redis round trip', url: `http://127.0.0.1:${layerPorts.redis1}/ceiling`, server: () => layerProcesses.redis1 },
    { name: '  + 2 Redis round trips', url: `http://127.0.0.1:${layerPorts.redis2}/ceiling`, server: () => layerProcesses.redis2 },
  ];

  const optionAnswer = await (await fetch(optionSearch)).json();
  if (optionAnswer.total === 0) throw new Error('the two-option search finds nothing: was the catalog seeded with --variants > 1?');
  console.log(`catalog: ${total} products match the repeated search; ${hitBody.length} bytes per answer`);
  console.log(`catalog: ${optionAnswer.total} products match the two-option search (option.Size=M&option.Color=Red&inStock=true)`);
  console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per scenario and round, ${ROUNDS} rounds, interleaved`);
  for (const scenario of scenarios) {
    const target = scenario.path ? new URL(scenario.path(), scenario.url).href : scenario.url;
    const started = performance.now();
    const response = await fetch(target);
    await response.arrayBuffer();
    console.log(`  one request alone: ${response.status} in ${(performance.now() - started).toFixed(1)} ms  ${scenario.name}`);
  }
  // When autocannon stops, the API may still be working off requests it had accepted (slow
  // misses queue for the database); the next scenario starts once a database read goes through.
  const settle = () => fetch(`${api}/products/${slug}?settle=${(distinct += 1)}`).then((response) => response.arrayBuffer());
  for (const scenario of scenarios) {
    await cannon(scenario); // warm-up, not counted
    await settle();
  }
  const results = new Map(scenarios.map((scenario) => [scenario.name, []]));
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const scenario of scenarios) {
      results.get(scenario.name).push(await cannon(scenario));
      await settle();
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }

  const rows = scenarios.map(({ name }) => {
    const runs = results.get(name);
    const requests = runs.reduce((sum, run) => sum + run.requests.total, 0);
    const seconds = runs.reduce((sum, run) => sum + run.duration, 0);
    return {
      name,
      rps: requests / seconds,
      rounds: runs.map((run) => Math.round(run.requests.average)),
      p50: median(runs.map((run) => run.latency.p50)),
      p99: median(runs.map((run) => run.latency.p99)),
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
      errors: runs.reduce((sum, run) => sum + run.errors + run.timeouts, 0),
      // Server CPU per answer over all rounds (µs).
      cpu: runs.reduce((sum, run) => sum + run.serverCpuMicros, 0) / requests,
    };
  });
  const pad = (text, width) => String(text).padEnd(width);
  console.log(`\n${pad('scenario', 40)}${pad('req/s', 9)}${pad('per round', 24)}${pad('p50 ms', 8)}${pad('p99 ms', 8)}${pad('non-2xx', 9)}${pad('errors', 8)}server CPU µs/answer`);
  for (const row of rows) {
    console.log(`${pad(row.name, 40)}${pad(Math.round(row.rps), 9)}${pad(row.rounds.join(' / '), 24)}${pad(row.p50, 8)}${pad(row.p99, 8)}${pad(row.non2xx, 9)}${pad(row.errors, 8)}${Math.round(row.cpu)}`);
  }
  const cpu = Object.fromEntries(rows.map((row) => [row.name, row.cpu]));
  const rps = Object.fromEntries(rows.map((row) => [row.name, row.rps]));
  const ceiling = rps['NestJS + Express ceiling, same bytes'];
  const bare = rps['bare node:http, same bytes'];
  console.log('');
  for (const name of ['search, repeated (cache hit)', 'category listing (cache hit)', 'two option filters (cache hit)', 'product by slug (cache hit)']) {
    console.log(
      `${pad(name, 40)}${((100 * rps[name]) / ceiling).toFixed(0)} % of the NestJS ceiling, ${((100 * rps[name]) / bare).toFixed(0)} % of bare node:http; ` +
        `server CPU per answer ${(cpu[name] / cpu['NestJS + Express ceiling, same bytes']).toFixed(2)} x the ceiling's`,
    );
  }
  for (const name of ['ceiling + helmet, CORS', 'ceiling + helmet, CORS, pino-http', '  + 1 Redis round trip', '  + 2 Redis round trips']) {
    console.log(`${pad(name, 40)}${((100 * rps[name]) / ceiling).toFixed(0)} % of the NestJS ceiling`);
  }
  console.log(`${pad('hit / miss, search', 40)}${(rps['search, repeated (cache hit)'] / rps['distinct searches (cache miss)']).toFixed(1)} x`);
  console.log(`${pad('hit / miss, two option filters', 40)}${(rps['two option filters (cache hit)'] / rps['two option filters (cache miss)']).toFixed(1)} x`);
  console.log(`${pad('hit / miss, product by slug', 40)}${(rps['product by slug (cache hit)'] / rps['product by slug (cache miss)']).toFixed(1)} x`);

  const logLines = readFileSync(apiLog, 'utf8').split('\n').filter(Boolean);
  console.log(`\nAPI log (${apiLog}): ${logLines.length} lines${logLines.length ? `, first: ${logLines[0].slice(0, 300)}` : ''}`);

  if (PROFILE) {
    await stop(apiProcess);
    const profileDir = join(work, 'profile');
    const profileStarted = performance.now();
    apiProcess = await startApi(apiPort, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    await cannon({ url: hitSearch }); // warm-up
    const from = performance.now() - profileStarted;
    await cannon({ url: hitSearch });
    const to = performance.now() - profileStarted;
    await stop(apiProcess);
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    console.log(`\nCPU profile of the API serving the repeated search (${join(profileDir, file)}), the measured ${SECONDS} s only:`);
    require('./profile-summary').print(JSON.parse(readFileSync(join(profileDir, file), 'utf8')), [from, to]);
  }
}

async function cleanUp() {
  await Promise.all(children.map(stop));
  const mongo = new MongoClient(process.env.MONGODB_URI);
  await mongo.db().dropDatabase().catch(() => undefined);
  await mongo.close();
  // Cache entries expire by themselves; the version counter and throttle keys are removed here.
  const redis = new Redis(process.env.REDIS_URL);
  const keys = await redis.keys(`${process.env.REDIS_KEY_PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
