// What the benchmarks that drive API processes share: the environment of a throw-away run (its
// own database and Redis prefix, limits out of the way), starting the built API, JSON calls.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/** A run's environment for `dist/src/main.js` and the seed; `run` names its database and keys. */
export function benchEnvironment(run) {
  return {
    PATH: process.env.PATH ?? '',
    // Passed on so that a run can preload a tracer into the API processes (--require).
    ...(process.env.NODE_OPTIONS && { NODE_OPTIONS: process.env.NODE_OPTIONS }),
    // JSON logs as in production; production itself refuses the local stack's published credentials.
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    MONGODB_URI: `${process.env.BENCH_MONGODB_URI ?? 'mongodb://127.0.0.1:27018'}/bench_${run}`,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `bench_${run}`,
    JWT_ACCESS_SECRET: randomBytes(32).toString('hex'),
    // Every buyer and reader comes from this one address: the per-client limits must not
    // decide the result (the throttle itself stays in every request's path).
    THROTTLE_LIMIT_PER_MINUTE: '10000000',
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
    ADMIN_EMAIL: 'bench-admin@example.test',
    ADMIN_PASSWORD: 'bench admin password',
  };
}

export function newRunName() {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export const freePort = () =>
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

/**
 * Starts `count` API processes on free ports; returns their base URLs. The caller kills them
 * (`children`). `firstNodeArgs` go to the first process's node (e.g. `--cpu-prof`).
 */
export async function startApis(env, count, children, firstNodeArgs = []) {
  const urls = [];
  for (let index = 0; index < count; index += 1) {
    const port = await freePort();
    const nodeArgs = index === 0 ? firstNodeArgs : [];
    children.push(spawn(process.execPath, [...nodeArgs, 'dist/src/main.js'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] }));
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(urls.map(waitForHealth));
  return urls;
}

export function seedBulk(env, count, variants = 4) {
  return new Promise((resolve, reject) => {
    const seed = spawn(process.execPath, ['dist/src/seed/seed.js', 'bulk', '--count', String(count), '--variants', String(variants)], { env, stdio: 'ignore' });
    seed.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed exited ${code}`))));
  });
}

export async function call(url, method, path, token, body) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Registers `count` customers, spread over the API processes; returns `{url, token}` each. */
export async function registerBuyers(urls, run, count) {
  const buyers = [];
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async (_, offset) => {
        const url = urls[(start + offset) % urls.length];
        const res = await call(url, 'POST', '/auth/register', undefined, { email: `bench-${run}-${start + offset}@example.test`, password: 'bench password 1', name: 'Bench' });
        if (res.status !== 201) throw new Error(`register: ${res.status}`);
        return { url, token: res.body.accessToken };
      }),
    );
    buyers.push(...batch);
  }
  return buyers;
}

export const SHIPPING_ADDRESS = { fullName: 'Bench Buyer', line1: '1 Load Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
