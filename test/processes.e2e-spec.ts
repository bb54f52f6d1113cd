import mongoose from 'mongoose';
import { uniqueEmail } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { killProcessesLeftRunning, runBuilt as run } from './support/node-process';
import { freePort, waitFor } from './support/wait';
import { testEnvironment } from './support/test-env';

/**
 * The built entry points as real processes (scripts/test.sh runs `nest build` first): the API,
 * the worker and the seed command, each with the environment a deployment would give it.
 */
describe('Entry points as processes', () => {
  const env: Record<string, string> = { ...testEnvironment(), LOG_LEVEL: 'info' };
  afterEach(killProcessesLeftRunning);
  afterAll(async () => {
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    await connection.dropDatabase();
    await connection.close();
  });

  it('the API serves /health and exits 0 soon after SIGTERM', async () => {
    const port = await freePort();
    const api = run('main.js', { ...env, PORT: String(port) });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200, 'the API to answer', 30_000);
    api.child.kill('SIGTERM');
    expect(await api.exit).toBe(0);
    // Loopback unless HOST says otherwise: a process started by hand is not on the network.
    expect(api.output()).toContain(`"msg":"API listening on 127.0.0.1:${port}"`);
    expect(api.output()).toMatch(/SIGTERM received: shutting down[\s\S]*Stopped cleanly/);
  });

  it('logs readable lines in development: one per request, no start-up chatter', async () => {
    const port = await freePort();
    const api = run('main.js', { ...env, NODE_ENV: 'development', PORT: String(port) });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200, 'the API to answer', 30_000);
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/categories`)).status).toBe(200);
      await waitFor(async () => api.output().includes('GET /api/v1/categories 200'), 'the request to be logged');
    } finally {
      api.child.kill('SIGTERM');
      await api.exit;
    }
    const lines = api.output().trim().split('\n');
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(api.output()).not.toMatch(/Mapped \{|RoutesResolver|RouterExplorer|InstanceLoader|dependencies initialized/);
    expect(api.output()).toMatch(/INFO: \[Bootstrap\] API listening on 127\.0\.0\.1:\d+/);
    // /health sits outside the global prefix, where the logging middleware used to run twice.
    expect(lines.filter((line) => /INFO: GET \/health 200 \d+ ms/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('/api/v1/categories'))).toHaveLength(1);
  });

  it('the worker starts without an HTTP listener and exits 0 on SIGTERM', async () => {
    const worker = run('worker.js', env);
    await waitFor(async () => worker.output().includes('Queue worker started'), 'the worker to start', 30_000);
    expect(worker.output()).not.toMatch(/API listening/);
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(worker.output()).toMatch(/Stopped cleanly/);
  });

  it('the worker, as its own process, sends the email the API process queued', async () => {
    const port = await freePort();
    const api = run('main.js', { ...env, PORT: String(port), RUN_WORKER_IN_API: 'false' });
    const worker = run('worker.js', env);
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200, 'the API', 30_000);
      await waitFor(async () => worker.output().includes('Queue worker started'), 'the worker', 30_000);
      const email = uniqueEmail('two-processes');
      const post = (path: string, body: object) =>
        fetch(`http://127.0.0.1:${port}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post('/auth/register', { email, password: 'long enough pw', name: 'Split' })).status).toBe(201);
      expect((await post('/auth/password/forgot', { email })).status).toBe(202);
      const [sent] = await new Mailbox().waitForEmails(email);
      expect(sent.subject).toBe('Reset your password');
    } finally {
      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      await Promise.all([api.exit, worker.exit]);
    }
  });

  it('refuses to start with a bad configuration, naming every bad variable', async () => {
    const { JWT_ACCESS_SECRET: _omitted, ...withoutSecret } = env;
    const api = run('main.js', { ...withoutSecret, MONGODB_URI: 'mysql://localhost/shop' });
    expect(await api.exit).toBe(1);
    expect(api.output()).toMatch(/MONGODB_URI/);
    expect(api.output()).toMatch(/JWT_ACCESS_SECRET/);
  });

  it('refuses to start in production with a published placeholder secret, naming it', async () => {
    const api = run('main.js', { ...env, NODE_ENV: 'production', JWT_ACCESS_SECRET: 'change-me-to-a-long-random-secret-of-48-bytes' });
    expect(await api.exit).toBe(1);
    expect(api.output()).toMatch(/JWT_ACCESS_SECRET is a published placeholder/);
    expect(api.output()).not.toMatch(/API listening/);
  });

  it('seeds the demo catalog once, with fetchable images, and a bulk catalog with progress', async () => {
    const demo = run('seed/seed.js', env, ['demo']);
    expect(await demo.exit).toBe(0);
    expect(demo.output()).toMatch(/demo catalog: 36 products seeded/);

    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    try {
      const products = connection.collection('products');
      expect(await products.countDocuments()).toBe(36);
      expect(await connection.collection('categories').countDocuments()).toBe(5);
      // Sizes and colours: a T-shirt in 3 sizes × 2 colours, boots in 4 sizes, one variant each.
      const shirt = await products.findOne({ slug: 'merino-hiking-t-shirt' });
      expect(shirt?.options.map((option: { name: string }) => option.name)).toEqual(['Size', 'Color']);
      expect(new Set(shirt?.variants.map((variant: { options: object }) => JSON.stringify(variant.options))).size).toBe(6);
      const boots = await products.findOne({ slug: 'waterproof-hiking-boots' });
      expect(boots?.variants.map((variant: { options: { Size: string } }) => variant.options.Size)).toEqual(['40', '41', '42', '43']);
      const sample = await products.findOne({ slug: 'espresso-machine' });
      expect(sample?.searchTokens).toEqual(expect.arrayContaining(['espresso', 'machine', 'kitchen', 'coffee']));
      const image = await fetch(sample!.images[0].url);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');

      const again = run('seed/seed.js', env, ['demo']);
      expect(await again.exit).toBe(0);
      expect(again.output()).toMatch(/nothing seeded/);
      expect(await products.countDocuments()).toBe(36);

      const bulk = run('seed/seed.js', env, ['bulk', '--count', '2500']);
      expect(await bulk.exit).toBe(0);
      expect(bulk.output()).toMatch(/100% 2500\/2500/);
      expect(await products.countDocuments()).toBe(36 + 2500);
      expect(new Set(await products.distinct('slug')).size).toBe(36 + 2500);
      // 4 variants by default, in exactly the store's shape: sku keys, price and stock derived from them.
      type Stored = { sku: string; skuKey: string; options: object; price: number; stock: number; stockOnHand: number; status: string };
      for (const product of await products.find({ description: /^Synthetic/ }).limit(50).toArray()) {
        const variants = product.variants as Stored[];
        expect(variants).toHaveLength(4);
        expect(new Set(variants.map((variant) => JSON.stringify(variant.options))).size).toBe(4);
        expect(variants.every((variant) => variant.skuKey === variant.sku.toLowerCase() && variant.stock === variant.stockOnHand && variant.status === 'active')).toBe(true);
        expect(product.price).toBe(Math.min(...variants.map((variant) => variant.price)));
        expect(product.stock).toBe(variants.reduce((sum, variant) => sum + variant.stock, 0));
      }
      const single = run('seed/seed.js', env, ['bulk', '--count', '10', '--variants', '1']);
      expect(await single.exit).toBe(0);
      expect(await products.countDocuments({ 'variants.0': { $exists: true }, 'variants.1': { $exists: false }, description: /^Synthetic/ })).toBe(10);
      const tooMany = run('seed/seed.js', env, ['bulk', '--count', '10', '--variants', '0']);
      expect(await tooMany.exit).toBe(1);

      const bad = run('seed/seed.js', env, ['bulk', '--count', 'many']);
      expect(await bad.exit).toBe(1);
    } finally {
      await connection.close();
    }
  });
});
