import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { validateEnvironment } from '../src/config/env.schema';
import { Bucket } from './support/bucket';
import { assumeRoleWithPolicy } from './support/minio-sts';
import { testEnvironment } from './support/test-env';

/**
 * What a deployment starts with, read from the files themselves: docker-compose.yml (no Docker
 * engine is needed, compose's variable substitution is re-implemented below), the container
 * image and the local run's environment script.
 */
const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
  command?: string[] | string;
}
type Compose = { services: Record<string, Service> };

/**
 * Compose's substitution: `$$`, `${VAR}`, `${VAR:-default}` / `${VAR:?error}` (unset or empty) and
 * `${VAR-default}` / `${VAR?error}` (unset only: an empty value is kept).
 */
function interpolate<T>(value: T, env: Record<string, string>, missing: string[]): T {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
      (match, name?: string, colon?: string, op?: string, arg?: string) => {
        if (match === '$$') return '$';
        const set = env[name!];
        if (set || (set === '' && !colon && op)) return set;
        if (op === '?') missing.push(name!);
        return op === '-' ? arg! : '';
      },
    ) as T;
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, missing)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, missing)])) as T;
  }
  return value;
}

function compose(env: Record<string, string>, file = 'docker-compose.yml'): { config: Compose; missing: string[] } {
  const missing: string[] = [];
  // `merge`: the worker's environment extends the API's with `<<: *app-env`, as compose reads it.
  const config = interpolate(parse(read(file), { merge: true }) as Compose, env, missing);
  return { config, missing: [...new Set(missing)].sort() };
}

/** The bucket policies minio-setup creates, as compose hands them to it: `{ file, policy }`. */
function setupPolicies(): Array<{ file: string; policy: { Statement: Array<{ Action: string[]; Resource: string[] }> } }> {
  const { services } = compose(secrets).config;
  const script = [services['minio-setup'].command].flat().join('\n');
  const env = services['minio-setup'].environment!;
  return [...script.matchAll(/printf '(\{.*?\})' (.*?) >(\S+)/g)].map(([, format, args, file]) => {
    const values = args.split(' ').map((arg) => arg.replace(/"\$(\w+)"/, (_m, name: string) => env[name]));
    return { file, policy: JSON.parse(values.reduce((text, value) => text.replace('%s', value), format)) };
  });
}

const secrets = {
  JWT_ACCESS_SECRET: 'b1f0c4e7a9d2c8e5f3a6b7d0e1c2f4a5b6c7d8e9',
  ADMIN_PASSWORD: 'lantern-orbit-walnut-77',
  MINIO_ROOT_PASSWORD: '5e2f7a9c1b3d4e6f8a0b',
  S3_SECRET_ACCESS_KEY: '9c8b7a6d5e4f3a2b1c0d',
  BACKUP_S3_SECRET_ACCESS_KEY: '3a1f9e7d5c2b8a4f6e0c',
  STRIPE_SECRET_KEY: 'sk_test_4f8e2a6c9b1d3e5f7a0b',
  STRIPE_WEBHOOK_SECRET: 'whsec_7d3a9c1e5b8f2a4c6e0d',
};

/** The host address of a published port (`[host:]published:target`). */
const hostOf = (port: string) => (port.split(':').length === 3 ? port.split(':')[0] : '0.0.0.0 (every interface)');

describe('docker-compose.yml', () => {
  it('refuses to start until every secret is set, and has no default for any of them', () => {
    expect(compose({}).missing).toEqual([
      'ADMIN_PASSWORD',
      'BACKUP_S3_SECRET_ACCESS_KEY',
      'JWT_ACCESS_SECRET',
      'MINIO_ROOT_PASSWORD',
      'S3_SECRET_ACCESS_KEY',
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ]);
    expect(compose(secrets).missing).toEqual([]);
  });

  it('publishes only the API, on 127.0.0.1 unless API_BIND says otherwise', () => {
    const { services } = compose(secrets).config;
    const published = Object.entries(services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name)).toEqual(['api']);
    expect(services.api.ports!.map(hostOf)).toEqual(['127.0.0.1']);
    expect(compose({ ...secrets, API_BIND: '0.0.0.0' }).config.services.api.ports).toEqual(['0.0.0.0:3000:3000']);
  });

  it('publishes what the inspection file adds on 127.0.0.1 only', () => {
    const { services } = compose({}, 'scripts/docker/compose.inspect.yml').config;
    const ports = Object.values(services).flatMap((service) => service.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    expect(ports.map(hostOf)).toEqual(ports.map(() => '127.0.0.1'));
  });

  it('refuses the bundled stripe-mock and test keys in production unless ALLOW_TEST_PAYMENTS says so', () => {
    for (const name of ['api', 'worker']) {
      const env = compose(secrets).config.services[name].environment!;
      expect(env.ALLOW_TEST_PAYMENTS).toBe('false');
      expect(() => validateEnvironment(env)).toThrow(/STRIPE_SECRET_KEY is a test-mode key[\s\S]*STRIPE_API_URL points at a mock/);
    }
    const live = { ...secrets, STRIPE_SECRET_KEY: 'sk_live_4f8e2a6c9b1d3e5f7a0b', STRIPE_API_URL: '' };
    const env = compose(live).config.services.api.environment!;
    expect(env.STRIPE_API_URL).toBe('');
    expect(validateEnvironment(env).ALLOW_TEST_PAYMENTS).toBe(false);
  });

  it('gives the API and the worker a configuration production accepts, with a scoped S3 key', () => {
    const { services } = compose({ ...secrets, ALLOW_TEST_PAYMENTS: 'true' }).config;
    for (const name of ['api', 'worker']) {
      const env = services[name].environment!;
      expect(validateEnvironment(env).NODE_ENV).toBe('production');
      expect(env.S3_ACCESS_KEY_ID).not.toBe(services.minio.environment!.MINIO_ROOT_USER);
      expect(env.S3_SECRET_ACCESS_KEY).not.toBe(services.minio.environment!.MINIO_ROOT_PASSWORD);
    }
    // Backups have their own key, which only the worker (and the commands run in its container) holds.
    const api = services.api.environment!;
    const worker = services.worker.environment!;
    expect(Object.keys(api).filter((name) => name.startsWith('BACKUP_'))).toEqual([]);
    expect(worker).toMatchObject({ BACKUP_S3_ACCESS_KEY_ID: 'shop-backup', BACKUP_S3_SECRET_ACCESS_KEY: secrets.BACKUP_S3_SECRET_ACCESS_KEY });
    expect(worker.BACKUP_S3_ACCESS_KEY_ID).not.toBe(api.S3_ACCESS_KEY_ID);
    expect({ ...worker, BACKUP_BUCKET: undefined, BACKUP_S3_ACCESS_KEY_ID: undefined, BACKUP_S3_SECRET_ACCESS_KEY: undefined }).toEqual({
      ...api,
      BACKUP_BUCKET: undefined,
      BACKUP_S3_ACCESS_KEY_ID: undefined,
      BACKUP_S3_SECRET_ACCESS_KEY: undefined,
    });
    expect(read('docker-compose.yml')).not.toMatch(/minioadmin|admin12345|change-me/);
  });

  it('lets anonymous clients read objects but not list the bucket, keeps backups private, and gives the API and the backups a bucket each', () => {
    const { services } = compose(secrets).config;
    const script = [services['minio-setup'].command].flat().join('\n');
    const env = services['minio-setup'].environment!;
    const policies = setupPolicies();
    const anonymous = policies.find(({ file }) => file === '/tmp/anonymous.json')!.policy;
    expect(anonymous.Statement).toEqual([
      { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::shop-media/*'] },
    ]);
    expect(script).toContain('mc anonymous set-json /tmp/anonymous.json "local/$BUCKET"');
    expect(script).not.toMatch(/anonymous set (download|public)/);

    const resourcesOf = (file: string) =>
      new Set(policies.find((policy) => policy.file === file)!.policy.Statement.flatMap((statement) => statement.Resource));
    expect(resourcesOf('/tmp/api.json')).toEqual(new Set(['arn:aws:s3:::shop-media', 'arn:aws:s3:::shop-media/*']));
    expect(resourcesOf('/tmp/backup.json')).toEqual(new Set(['arn:aws:s3:::shop-backups', 'arn:aws:s3:::shop-backups/*']));
    expect(script).toContain('mc anonymous set none "local/$BACKUP_BUCKET"');
    expect(services.worker.environment!.BACKUP_BUCKET).toBe(env.BACKUP_BUCKET);
    for (const { policy } of policies) expect(policy.Statement.flatMap((statement) => statement.Action)).not.toContain('s3:*');
    expect(script).toMatch(/user\(\) \{\n\s*mc admin policy create local "\$1" "\$2"\n\s*mc admin user add local "\$3" "\$4"\n[\s\S]*mc admin policy attach local "\$1" --user "\$3"/);
    expect(script).toContain('user shop-api /tmp/api.json "$API_ACCESS_KEY" "$API_SECRET_KEY"');
    expect(script).toContain('user shop-backup /tmp/backup.json "$BACKUP_ACCESS_KEY" "$BACKUP_SECRET_KEY"');
    expect(env.API_ACCESS_KEY).toBe(services.api.environment!.S3_ACCESS_KEY_ID);
    expect(env.API_SECRET_KEY).toBe(services.api.environment!.S3_SECRET_ACCESS_KEY);
    expect(env.BACKUP_ACCESS_KEY).toBe(services.worker.environment!.BACKUP_S3_ACCESS_KEY_ID);
    expect(env.BACKUP_SECRET_KEY).toBe(services.worker.environment!.BACKUP_S3_SECRET_ACCESS_KEY);
  });

  describe("the keys' policies, enforced by a real MinIO (the local one, as keys limited to each policy)", () => {
    const local = testEnvironment();
    const root = { accessKeyId: local.S3_ACCESS_KEY_ID, secretAccessKey: local.S3_SECRET_ACCESS_KEY };
    const probe = `deployment-test-${randomBytes(6).toString('hex')}/probe.txt`;
    const clientFor = async (file: string) =>
      new S3Client({
        region: 'us-east-1',
        endpoint: local.S3_ENDPOINT,
        forcePathStyle: true,
        credentials: await assumeRoleWithPolicy(local.S3_ENDPOINT, root, setupPolicies().find((policy) => policy.file === file)!.policy),
      });
    /** The S3 answer to each kind of access: 'ok' or the error's name. */
    const accessTo = async (client: S3Client, bucket: string): Promise<Record<string, string>> => {
      const outcome = (send: Promise<unknown>) => send.then(() => 'ok', (error: Error) => error.name);
      return {
        put: await outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: probe, Body: 'probe' }))),
        get: await outcome(client.send(new GetObjectCommand({ Bucket: bucket, Key: probe }))),
        list: await outcome(client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: probe }))),
        delete: await outcome(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probe }))),
      };
    };
    const allowed = { put: 'ok', get: 'ok', list: 'ok', delete: 'ok' };
    const refused = { put: 'AccessDenied', get: 'AccessDenied', list: 'AccessDenied', delete: 'AccessDenied' };

    afterAll(async () => {
      const bucket = new Bucket({ env: local }, 'shop-backups');
      await bucket.purgePrefix(probe.split('/')[0] + '/');
      bucket.close();
    });

    it("refuses the API's key every access to the backup bucket, and allows it the image bucket", async () => {
      const api = await clientFor('/tmp/api.json');
      expect(await accessTo(api, 'shop-backups')).toEqual(refused);
      expect(await accessTo(api, 'shop-media')).toEqual(allowed);
      api.destroy();
    });

    it("allows the backups' key the backup bucket only", async () => {
      const backups = await clientFor('/tmp/backup.json');
      expect(await accessTo(backups, 'shop-backups')).toEqual(allowed);
      expect(await accessTo(backups, 'shop-media')).toEqual(refused);
      backups.destroy();
    });
  });

  it('builds an image whose API listens on every interface of its container', () => {
    expect(read('scripts/docker/Dockerfile')).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
  });
});

describe('scripts/local-env.sh', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-env-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const localEnv = (): Record<string, string> => {
    const { ADMIN_PASSWORD: _a, JWT_ACCESS_SECRET: _j, HOST: _h, NODE_ENV: _n, ...inherited } = process.env;
    const out = execFileSync(
      'bash',
      ['-c', 'set -euo pipefail; . scripts/env.sh; . scripts/local-env.sh; printf "%s\\n" "$HOST" "$ADMIN_PASSWORD" "$JWT_ACCESS_SECRET"'],
      { cwd: ROOT, env: { ...inherited, STACK_DATA_DIR: dataDir }, encoding: 'utf8' },
    );
    const [HOST, ADMIN_PASSWORD, JWT_ACCESS_SECRET] = out.trim().split('\n');
    return { HOST, ADMIN_PASSWORD, JWT_ACCESS_SECRET };
  };
  const mode = (file: string) => statSync(join(dataDir, file)).mode & 0o777;

  it('binds to loopback and generates the admin password once per checkout, readable only by its owner', () => {
    const first = localEnv();
    expect(first.HOST).toBe('127.0.0.1');
    expect(first.ADMIN_PASSWORD).toMatch(/^[\w-]{20}$/);
    expect(first.ADMIN_PASSWORD).not.toBe('admin12345');
    expect(readFileSync(join(dataDir, 'admin-password'), 'utf8').trim()).toBe(first.ADMIN_PASSWORD);
    expect(mode('admin-password')).toBe(0o600);
    expect(mode('jwt-secret')).toBe(0o600);
    expect(localEnv()).toEqual(first);
  });

  it('closes up a secret file an earlier version left readable by others', () => {
    writeFileSync(join(dataDir, 'jwt-secret'), 'x'.repeat(64));
    chmodSync(join(dataDir, 'jwt-secret'), 0o644);
    expect(localEnv().JWT_ACCESS_SECRET).toBe('x'.repeat(64));
    expect(mode('jwt-secret')).toBe(0o600);
  });
});
