import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { uniqueEmail } from './support/accounts';
import { ServerProcess } from './support/server-process';
import { testEnvironment } from './support/test-env';

/**
 * Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis, installed
 * by scripts/stack/install.sh), as a customer and as an admin at once, against the built API
 * running as a process with its own database, Redis prefix and admin: whatever the admin run
 * deletes or changes, no other suite sees it.
 *
 * Fails on any 5xx, any status code the document does not list, any response whose body,
 * content type or headers do not match it, and any request the document calls invalid that is
 * not refused. Fixed seed; time bounded by FUZZ_MAX_SECONDS per run.
 * The full output of each run lands in reports/fuzz-<role>.txt.
 */
const SCHEMATHESIS =
  process.env.SCHEMATHESIS_BIN ??
  join(process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'shop-backend'), 'schemathesis', 'bin', 'schemathesis');
const SEED = process.env.FUZZ_SEED ?? '13';
const MAX_SECONDS = Number(process.env.FUZZ_MAX_SECONDS ?? 70);
const REPORTS = join(__dirname, '..', 'reports');

const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  // Data the document calls invalid must be refused (4xx), never accepted.
  'negative_data_rejection',
];

interface FuzzRun {
  role: string;
  exitCode: number | null;
  generated: number;
  failures: string;
}

function fuzz(role: string, base: string, accessToken: string, extraArgs: string[] = []): Promise<FuzzRun> {
  const args = [
    'run',
    `${base}/docs-json`,
    '--url',
    base,
    '--header',
    `Authorization: Bearer ${accessToken}`,
    '--seed',
    SEED,
    '--max-time',
    String(MAX_SECONDS),
    '--phases',
    'examples,coverage,fuzzing',
    '--checks',
    CHECKS.join(','),
    // Logging out would end the run's own session and leave nothing but 401s to test. /health
    // takes no input and answers 503 by design when MongoDB is slow (health-outages.e2e-spec.ts).
    '--exclude-path',
    '/api/v1/auth/logout',
    '--exclude-path',
    '/health',
    '--workers',
    '2',
    '--request-timeout',
    '30',
    // A slow, shared machine must not fail the run: only the API's answers may.
    '--suppress-health-check',
    'all',
    ...extraArgs,
  ];
  return new Promise((resolve, reject) => {
    // A fresh working folder: schemathesis keeps a cache of past failures there and would
    // replay them first, making a run depend on the ones before it.
    const cwd = mkdtempSync(join(tmpdir(), `fuzz-${role}-`));
    const child = spawn(SCHEMATHESIS, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: homedir(), NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      rmSync(cwd, { recursive: true, force: true });
      mkdirSync(REPORTS, { recursive: true });
      writeFileSync(join(REPORTS, `fuzz-${role}.txt`), output.replaceAll(accessToken, '<token>'));
      const failures = output.includes('FAILURES') ? output.slice(output.indexOf('FAILURES'), output.indexOf('SUMMARY')) : '';
      resolve({ role, exitCode, generated: Number(/(\d+) generated/.exec(output)?.[1] ?? 0), failures: exitCode === 0 ? '' : failures || output.slice(-3000) });
    });
  });
}

describe('Fuzzing the API from its OpenAPI document', () => {
  const admin = { email: uniqueEmail('fuzz-admin'), password: randomBytes(12).toString('hex') };
  const env = testEnvironment({ ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
  let api: ServerProcess;
  let base: string;

  beforeAll(async () => {
    api = await ServerProcess.api(env);
    base = `http://127.0.0.1:${api.port}`;
  });
  afterAll(async () => {
    await api?.stop();
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    await connection.dropDatabase();
    await connection.close();
  });

  const post = async (path: string, body: object) => {
    const res = await fetch(`${base}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.ok).toBe(true);
    return (await res.json()) as { accessToken: string };
  };

  it(
    'finds no 5xx and no answer that differs from the document, as a customer and as an admin',
    async () => {
      const customer = await post('/auth/register', { email: uniqueEmail('fuzz-customer'), password: 'fuzz customer pw', name: 'Fuzz' });
      // The admin was created at start-up; wait for it rather than race the bootstrap.
      const adminLogin = await post('/auth/login', admin);
      const runs = await Promise.all([
        // Every admin route refuses a customer (admin-access.e2e-spec.ts): the customer's time goes to the rest.
        fuzz('customer', base, customer.accessToken, ['--exclude-path-regex', '^/api/v1/admin/']),
        fuzz('admin', base, adminLogin.accessToken),
      ]);
      for (const run of runs) {
        expect({ role: run.role, failures: run.failures, exitCode: run.exitCode }).toEqual({ role: run.role, failures: '', exitCode: 0 });
        // How much was tried depends on the machine's speed within the time bound: reported, not asserted.
        expect(run.generated).toBeGreaterThan(0);
        console.log(`fuzzing as ${run.role}: ${run.generated} requests generated, no failure`);
      }
    },
    (MAX_SECONDS + 120) * 1000,
  );
});
