import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Queue from 'bull';
import { mongo } from 'mongoose';
import type Redis from 'ioredis';
import request from 'supertest';
import { REDIS } from '../src/redis/redis.module';
import type { BackupManifest } from '../src/backups/backup-manifest';
import { bearer, registerCustomer } from './support/accounts';
import { Bucket } from './support/bucket';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { ServerProcess } from './support/server-process';
import { createTestApp, TestApp } from './support/test-app';
import { withDatabase } from './support/test-env';
import { waitFor } from './support/wait';

const { BSON } = mongo;
const COMMAND = 'backups/backup-command.js';

/** Runs the backup command line to its end: `npm run backup` / `npm run restore -- ...` minus the build. */
async function command(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; output: string }> {
  const run = runBuilt(COMMAND, env, args);
  const code = await run.exit;
  return { code, stdout: run.stdout(), output: run.output() };
}

async function backup(env: Record<string, string>): Promise<string> {
  const result = await command(env, 'backup');
  expect({ code: result.code, output: result.output }).toEqual({ code: 0, output: expect.any(String) });
  const lines = result.stdout.trim().split('\n');
  return lines[lines.length - 1].split(' ')[0];
}

async function listed(env: Record<string, string>): Promise<string[]> {
  const result = await command(env, 'restore', '--list');
  expect(result.code).toBe(0);
  return result.stdout.trim().split('\n').filter(Boolean).map((line) => line.split(' ')[0]);
}

/** Every document of every collection as raw BSON bytes in _id order: equal bytes, equal types. */
async function rawContents(db: mongo.Db): Promise<Record<string, Buffer[]>> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const contents: Record<string, Buffer[]> = {};
  for (const name of names) {
    const docs = await db.collection(name).find({}, { raw: true, sort: { _id: 1 } }).toArray();
    contents[name] = docs.map((doc) => Buffer.from(doc as unknown as Uint8Array));
  }
  return contents;
}

async function indexesOf(db: mongo.Db): Promise<Record<string, unknown[]>> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  const indexes: Record<string, unknown[]> = {};
  for (const name of names) {
    const list = await db.collection(name).listIndexes().toArray();
    indexes[name] = list.map(({ v: _v, ns: _ns, ...spec }) => spec).sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }
  return indexes;
}

describe('Backups to object storage and restores (npm run backup / restore)', () => {
  let t: TestApp;
  let bucket: Bucket;
  const restoredDatabases: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    bucket = new Bucket(t, t.env.BACKUP_BUCKET);
    // What the app itself writes (a user with its indexes, a session), through its API.
    const customer = await registerCustomer(t, 'backup');
    await request(t.http)
      .post('/api/v1/me/addresses')
      .set(...bearer(customer))
      .send({ fullName: 'Backup Person', line1: '1 Dump Street', city: 'Restore', postalCode: '12345', country: 'DE' })
      .expect(201);
    // Every BSON type a document of the app can hold, side by side.
    await t.connection.collection('bson_types').insertMany([
      {
        _id: new BSON.ObjectId(),
        objectId: new BSON.ObjectId(),
        date: new Date('2026-11-25T21:46:05.123Z'),
        decimal: BSON.Decimal128.fromString('1234567890.123456789'),
        long: BSON.Long.fromString('9007199254740993'),
        int32: new BSON.Int32(42),
        double: new BSON.Double(42),
        fraction: 0.1,
        binary: new BSON.Binary(Buffer.from([0, 1, 2, 255]), 0),
        uuid: new BSON.Binary(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), 4),
        string: 'Grüße, 世界',
        boolean: true,
        nothing: null,
        regex: new BSON.BSONRegExp('^shop', 'i'),
        timestamp: new BSON.Timestamp({ t: 1_764_107_165, i: 7 }),
        array: [new BSON.Int32(1), 'two', { three: new BSON.Double(3) }, [new Date(0)]],
        nested: { z: 1, a: { deep: BSON.Long.fromNumber(-1) } },
      },
      { _id: new BSON.ObjectId(), sku: 'second', price: new BSON.Int32(1999) },
    ]);
    await t.connection.collection('bson_types').createIndex({ sku: 1 }, { unique: true, sparse: true });
    await t.connection.collection('bson_types').createIndex({ date: -1, 'nested.z': 1 }, { name: 'by_date' });
  });

  afterEach(killProcessesLeftRunning);

  afterAll(async () => {
    for (const name of restoredDatabases) await t.connection.getClient().db(name).dropDatabase();
    await bucket?.purgePrefix(t.env.BACKUP_PREFIX);
    bucket?.close();
    await t?.close();
  });

  it('backs up every collection and restores it into a fresh database: same bytes, same types, same indexes', async () => {
    const id = await backup(t.env);
    expect((await listed(t.env))[0]).toBe(id);

    const manifest = JSON.parse(await bucket.text(`${t.env.BACKUP_PREFIX}${id}/manifest.json`)) as BackupManifest;
    expect(manifest).toMatchObject({ id, database: t.connection.db!.databaseName, appVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const types = manifest.collections.find((c) => c.name === 'bson_types')!;
    expect(types).toMatchObject({ documents: 2, bytes: expect.any(Number), contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(types.indexes.map((index) => index.name)).toEqual(expect.arrayContaining(['_id_', 'sku_1', 'by_date']));
    expect(manifest.collections.find((c) => c.name === 'users')?.documents).toBe(1);

    // Backups hold customer data: nothing in their bucket is readable without credentials.
    const anonymous = await fetch(`${t.env.S3_ENDPOINT}/${t.env.BACKUP_BUCKET}/${types.object!.key}`);
    expect(anonymous.status).toBe(403);

    const target = `${t.connection.db!.databaseName}_restored`;
    restoredDatabases.push(target);
    const restore = await command(t.env, 'restore', id, '--db', target);
    expect(restore.output).toMatch(/verified/);
    expect(restore.code).toBe(0);

    const source = t.connection.db!;
    const restored = t.connection.getClient().db(target);
    const original = await rawContents(source);
    expect(Object.keys(original)).toEqual(expect.arrayContaining(['bson_types', 'users']));
    expect(await rawContents(restored)).toEqual(original);
    expect(await indexesOf(restored)).toEqual(await indexesOf(source));
    // Decoded without promotion, the types are visibly the same ones.
    const [doc] = await restored.collection('bson_types').find({ objectId: { $exists: true } }, { promoteValues: false, bsonRegExp: true }).toArray();
    expect(doc.long).toBeInstanceOf(BSON.Long);
    expect(doc.int32).toBeInstanceOf(BSON.Int32);
    expect(doc.double).toBeInstanceOf(BSON.Double);
    expect(doc.decimal).toBeInstanceOf(BSON.Decimal128);
    expect((doc.uuid as InstanceType<typeof BSON.Binary>).sub_type).toBe(4);
    expect(doc.date).toEqual(new Date('2026-11-25T21:46:05.123Z'));
  });

  it('refuses to restore into a non-empty database without --force, changing nothing; --force replaces it', async () => {
    const id = (await listed(t.env))[0] ?? (await backup(t.env));
    const target = `${t.connection.db!.databaseName}_busy`;
    restoredDatabases.push(target);
    const busy = t.connection.getClient().db(target);
    await busy.collection('keep_me').insertOne({ _id: new BSON.ObjectId(), precious: true });
    const before = await rawContents(busy);

    const refused = await command(t.env, 'restore', id, '--db', target);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/not empty/);
    expect(await rawContents(busy)).toEqual(before);

    const forced = await command(t.env, 'restore', id, '--db', target, '--force');
    expect(forced.code).toBe(0);
    const after = await rawContents(busy);
    expect(after.keep_me).toBeUndefined();
    expect(after.bson_types).toHaveLength(2);
  });

  it('--force with a corrupt or missing backup object leaves the target as it was, staging dropped', async () => {
    const env: Record<string, string> = { ...t.env, BACKUP_PREFIX: `${t.env.BACKUP_PREFIX}damaged/` };
    const manifestOf = async (id: string) => JSON.parse(await bucket.text(`${env.BACKUP_PREFIX}${id}/manifest.json`)) as BackupManifest;
    // Valid gzipped BSON, other documents: the download completes and the checks must catch it.
    const corrupt = await backup(env);
    const forgedTypes = (await manifestOf(corrupt)).collections.find((c) => c.name === 'bson_types')!;
    await bucket.put(forgedTypes.object!.key, gzipSync(BSON.serialize({ _id: new BSON.ObjectId(), forged: true })));
    // The last collection's object gone: the restore fails after loading the others.
    const missing = await backup(env);
    const collections = (await manifestOf(missing)).collections;
    expect(collections.length).toBeGreaterThan(1);
    await bucket.delete(collections[collections.length - 1].object!.key);

    const target = `${t.connection.db!.databaseName}_guarded`;
    restoredDatabases.push(target);
    const guarded = t.connection.getClient().db(target);
    // A namesake of a backed-up collection with other content, and one the backup lacks.
    await guarded.collection('bson_types').insertOne({ _id: new BSON.ObjectId(), mine: true });
    await guarded.collection('keep_me').insertOne({ _id: new BSON.ObjectId(), precious: true });
    await guarded.collection('keep_me').createIndex({ precious: 1 }, { name: 'by_precious' });
    const before = { contents: await rawContents(guarded), indexes: await indexesOf(guarded) };

    const checksum = await command(env, 'restore', corrupt, '--db', target, '--force');
    expect({ code: checksum.code, output: checksum.output }).toEqual({ code: 1, output: expect.stringMatching(/bson_types[^\n]*checksum[\s\S]*left as it was/) });
    expect({ contents: await rawContents(guarded), indexes: await indexesOf(guarded) }).toEqual(before);

    const unreachable = await command(env, 'restore', missing, '--db', target, '--force');
    expect(unreachable.code).toBe(1);
    expect({ contents: await rawContents(guarded), indexes: await indexesOf(guarded) }).toEqual(before);
  });

  it('the live database (MONGODB_URI) is replaced only with --replace-live on top of --force; replacing it invalidates the API\'s caches', async () => {
    const id = (await listed(t.env))[0] ?? (await backup(t.env));
    // The API (same Redis deployment) holds a catalog answer and the pricing settings under their versions.
    const redis = t.app.get<Redis>(REDIS);
    const cacheStatus = async () => (await request(t.http).get('/api/v1/products?limit=5').expect(200)).headers['cache-status'];
    await cacheStatus();
    expect(await cacheStatus()).toBe('shop-api; hit');
    const pricingVersion = async () => Number(await redis.get('pricing:version'));
    await redis.set('pricing:version', '1000', 'NX');
    const pricingBefore = await pricingVersion();
    const liveName = `${t.connection.db!.databaseName}_live`;
    restoredDatabases.push(liveName);
    const liveEnv = { ...t.env, MONGODB_URI: withDatabase(t.env.MONGODB_URI, liveName) };
    const live = t.connection.getClient().db(liveName);
    await live.collection('orders').insertOne({ _id: new BSON.ObjectId(), live: true });
    const before = await rawContents(live);

    const refused = await command(liveEnv, 'restore', id, '--db', liveName, '--force');
    expect({ code: refused.code, output: refused.output }).toEqual({ code: 1, output: expect.stringMatching(/live one \(MONGODB_URI\).*--replace-live/) });
    expect(await rawContents(live)).toEqual(before);
    // --replace-live alone is a usage error: it only ever adds to --force.
    expect((await command(liveEnv, 'restore', id, '--db', liveName, '--replace-live')).code).toBe(2);
    expect(await rawContents(live)).toEqual(before);
    // Refused: nothing changed, the caches stay.
    expect(await cacheStatus()).toBe('shop-api; hit');

    const replaced = await command(liveEnv, 'restore', id, '--db', liveName, '--force', '--replace-live');
    expect({ code: replaced.code, output: replaced.output }).toEqual({ code: 0, output: expect.stringMatching(/verified/) });
    const after = await rawContents(live);
    expect(after.bson_types).toHaveLength(2);
    expect(after.orders ?? []).not.toContainEqual(before.orders[0]);
    expect(Object.keys(after).filter((name) => name.startsWith('restore-staging.'))).toEqual([]);
    // The very next read is computed again, and the next quote reads the pricing settings again.
    expect(await cacheStatus()).toMatch(/^shop-api; fwd=miss/);
    expect(await pricingVersion()).toBeGreaterThan(pricingBefore);
  });

  it('restore --invalidate-caches makes the API compute its catalog answers again', async () => {
    const cacheStatus = async () => (await request(t.http).get('/api/v1/products?limit=3').expect(200)).headers['cache-status'];
    await cacheStatus();
    expect(await cacheStatus()).toBe('shop-api; hit');
    const invalidated = await command(t.env, 'restore', '--invalidate-caches');
    expect({ code: invalidated.code, output: invalidated.output.trim() }).toEqual({ code: 0, output: expect.stringMatching(/caches invalidated/) });
    expect(await cacheStatus()).toMatch(/^shop-api; fwd=miss/);
    expect((await command(t.env, 'restore', '--invalidate-caches', 'extra')).code).toBe(2);
  });

  it('rejects bad arguments and unknown backups with a non-zero exit', async () => {
    expect((await command(t.env, 'restore')).code).toBe(2);
    const unknown = await command(t.env, 'restore', '20200101-000000-000-abcd', '--db', 'x_unknown_backup');
    expect({ code: unknown.code, output: unknown.output.trim() }).toEqual({ code: 1, output: expect.stringMatching(/No complete backup/) });
    const [traversal, badName] = await Promise.all([
      command(t.env, 'restore', '../etc', '--db', 'x'),
      command(t.env, 'restore', '20200101-000000-000-abcd', '--db', 'bad/name'),
    ]);
    expect(traversal.output).toMatch(/not a backup id/);
    expect(badName.output).toMatch(/not a database name/);
    expect([traversal.code, badName.code]).toEqual([1, 1]);
  });

  it('keeps the newest BACKUP_KEEP backups', async () => {
    const env: Record<string, string> = { ...t.env, BACKUP_PREFIX: `${t.env.BACKUP_PREFIX}retention/`, BACKUP_KEEP: '3' };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await backup(env));
    expect(await listed(env)).toEqual(ids.slice(2).reverse());
    const folders = new Set((await bucket.keys(env.BACKUP_PREFIX)).map((key) => key.slice(env.BACKUP_PREFIX.length).split('/')[0]));
    expect([...folders].sort()).toEqual(ids.slice(2));
  });

  describe('interrupted backups (a private MinIO that the test stops)', () => {
    let minio: ServerProcess;
    let dataDir: string;
    let env: Record<string, string>;
    let privateBucket: Bucket;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'backup-minio-'));
      minio = await ServerProcess.minio(dataDir);
      env = { ...t.env, S3_ENDPOINT: `http://127.0.0.1:${minio.port}` };
      privateBucket = new Bucket({ env }, env.BACKUP_BUCKET);
      // One large collection, dumped last (names sort), so a backup is still busy after its first objects.
      const filler = 'x'.repeat(900);
      const docs = Array.from({ length: 40_000 }, (_, i) => ({ _id: new BSON.ObjectId(), i, filler }));
      for (let start = 0; start < docs.length; start += 5000) await t.connection.collection('zz_bulk').insertMany(docs.slice(start, start + 5000));
    }, 120_000);

    afterAll(async () => {
      privateBucket?.close();
      await minio?.stop();
      await t.connection.collection('zz_bulk').drop().catch(() => undefined);
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    /** Starts a backup and holds it still (SIGSTOP) once its first data object is stored. */
    async function backupPausedMidway(): Promise<{ run: NodeRun; id: string }> {
      const before = new Set(await privateBucket.keys(env.BACKUP_PREFIX).catch(() => []));
      const run = runBuilt(COMMAND, env, ['backup']);
      let id = '';
      await waitFor(
        async () => {
          const fresh = (await privateBucket.keys(env.BACKUP_PREFIX).catch(() => [])).filter((key) => !before.has(key));
          if (fresh.length === 0) return false;
          id = fresh[0].slice(env.BACKUP_PREFIX.length).split('/')[0];
          return true;
        },
        'the backup to store its first object',
        60_000,
      );
      run.child.kill('SIGSTOP');
      // The test only means something if the backup was really caught midway.
      expect(await privateBucket.keys(`${env.BACKUP_PREFIX}${id}/manifest.json`)).toEqual([]);
      return { run, id };
    }

    it('storage stopped mid-backup: the backup fails, leaves no manifest, is not listed; the next one works', async () => {
      const { run, id } = await backupPausedMidway();
      await minio.stop();
      run.child.kill('SIGCONT');
      expect(await run.exit).not.toBe(0);

      await minio.start();
      expect((await privateBucket.keys(`${env.BACKUP_PREFIX}${id}/`)).length).toBeGreaterThan(0); // what it wrote before the outage
      expect(await privateBucket.keys(`${env.BACKUP_PREFIX}${id}/manifest.json`)).toEqual([]);
      expect(await listed(env)).not.toContain(id);

      const next = await backup(env);
      expect(await listed(env)).toEqual([next]);
      // The command created the bucket itself: private, and versioned (this MinIO supports it).
      expect(await privateBucket.versioning()).toBe('Enabled');
      expect((await fetch(`${env.S3_ENDPOINT}/${env.BACKUP_BUCKET}/${env.BACKUP_PREFIX}${next}/manifest.json`)).status).toBe(403);
    });

    it('process killed mid-backup: no manifest, not listed; the next one works', async () => {
      const { run, id } = await backupPausedMidway();
      run.child.kill('SIGKILL');
      await run.exit;
      expect(await privateBucket.keys(`${env.BACKUP_PREFIX}${id}/manifest.json`)).toEqual([]);
      expect(await listed(env)).not.toContain(id);

      const next = await backup(env);
      expect((await listed(env))[0]).toBe(next);
    });
  });

  it('the workers take the scheduled backup when its time comes, each occurrence exactly once with two workers', async () => {
    const env: Record<string, string> = { ...t.env, LOG_LEVEL: 'info', BACKUP_PREFIX: `${t.env.BACKUP_PREFIX}scheduled/`, BACKUP_CRON: '*/3 * * * * *' };
    const started = Date.now();
    const workers = [runBuilt('worker.js', env), runBuilt('worker.js', env)];
    try {
      await waitFor(async () => workers.every((w) => w.output().includes("Scheduled job 'scheduled-backup'")), 'both workers to schedule backups', 60_000);
      await waitFor(async () => (await listed(env)).length >= 2, 'two scheduled backups', 90_000);
    } finally {
      for (const worker of workers) worker.child.kill('SIGTERM');
      // SIGTERM lets a backup in progress finish, so the bucket is final once both exited.
      expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0]);
    }

    const ids = await listed(env);
    const manifests = await Promise.all(ids.map(async (id) => JSON.parse(await bucket.text(`${env.BACKUP_PREFIX}${id}/manifest.json`)) as BackupManifest));
    const occurrences = manifests.map((manifest) => (manifest.trigger.kind === 'schedule' ? manifest.trigger.scheduledFor : 'not scheduled'));
    // One backup per occurrence of the cron: no occurrence taken twice, each on its 3-second mark.
    expect(new Set(occurrences).size).toBe(manifests.length);
    for (const occurrence of occurrences) {
      expect(new Date(occurrence).getTime() % 3000).toBe(0);
      expect(new Date(occurrence).getTime()).toBeGreaterThanOrEqual(started - 3000);
    }
    const completions = workers.flatMap((w) => w.output().match(/Backup \d{8}-\d{6}-\d{3}-[0-9a-f]{4} complete/g) ?? []);
    expect(completions.sort()).toEqual(ids.map((id) => `Backup ${id} complete`).sort());

    const queue = new Queue('backups', { redis: env.REDIS_URL, prefix: `${env.REDIS_KEY_PREFIX}:bull` });
    await queue.obliterate({ force: true });
    await queue.close();
  }, 240_000);
});
