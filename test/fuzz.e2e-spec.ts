import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // Data the document calls valid must be accepted: refused only for what the domain says of it
  // (POSITIVE_DATA_ANSWERS), never as malformed (400).
  'positive_data_acceptance',
];

/**
 * The answers a request valid per the document may still get: no such resource (404), a rule of
 * its current state (409, 422), no token or role where the run's own lacks it (401, 403), a rate
 * limit (429).
 */
const POSITIVE_DATA_ANSWERS = ['2xx', '401', '403', '404', '409', '422', '429'];

/**
 * The refusals of data the document calls invalid: schemathesis's own list, and 413, the answer
 * to a body over the size limit (every route with a body states it in the document).
 */
const NEGATIVE_DATA_ANSWERS = ['400', '401', '403', '404', '405', '406', '409', '413', '415', '422', '428', '429', '5xx'];

/**
 * Operations where a request valid per the document may still get a 400 by design, for what no
 * schema states: a provider's signature, a secret token, the server's configuration, a rule
 * across fields or over stored data. Listed by name, so that each stays checked for the rest.
 */
const REFUSED_BY_DESIGN: Array<[operations: string, why: string]> = [
  ['^POST /api/v1/payments(/paypal)?/webhook$', 'an event without the provider signature'],
  ['^POST /api/v1/payments/paypal/capture$', 'PayPal is not configured in this run (PaypalController)'],
  ['^POST /api/v1/auth/password/reset$', 'the token is the secret from the reset e-mail'],
  ['^POST /api/v1/auth/email/verify$', 'the token is the secret from the verification e-mail'],
  ['^(POST|PATCH) /api/v1/admin/categories', 'a name without Latin letters or digits and no slug gives no URL slug'],
  ['^(POST|PATCH) /api/v1/admin/products(/\\{id\\})?$', 'the category slug names no category; on create, variants beside price and stock, with option values the options do not declare, or with images'],
  ['^POST /api/v1/admin/products/\\{id\\}/variants$', 'an option name or value the product does not declare (API.md: 400), or an image of another product'],
  ['^PATCH /api/v1/admin/products/\\{id\\}/variants/\\{variantId\\}$', 'an image of another product'],
  ['^GET /api/v1/products$', 'maxPrice below minPrice; an option name empty, with "." or NUL, or starting with "$" (OpenAPI 3.0 cannot state property names)'],
  [`^GET (${pagedLists().join('|')})$`, 'page × limit above 10000 (lists end 10,000 items deep)'],
  ['^POST /api/v1/me/addresses$', 'the address book is full (20)'],
  ['^POST /api/v1/checkout$', 'addressId and shippingAddress together, or neither; a guest without email, an account with one'],
  ['^(POST|PATCH) /api/v1/admin/promotions(/\\{id\\})?$', 'a value that does not fit the type (a percentage over 100 %, a fixed 0), or an end not after the start'],
  ['^(POST|PATCH) /api/v1/admin/shipping-methods(/\\{id\\})?$', 'maxSubtotal below minSubtotal'],
  ['^POST /api/v1/admin/products/\\{id\\}/images$', 'a file is a JPEG, PNG or WebP by its content, which a schema cannot say'],
];

/**
 * Every list that pages (a `page` query parameter), read from the committed document, which the
 * OpenAPI suite holds equal to the served one: a new list is exempted without anyone listing it.
 */
function pagedLists(): string[] {
  const document = JSON.parse(readFileSync(join(__dirname, 'openapi.snapshot.json'), 'utf8')) as {
    paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string }> } }>;
  };
  return Object.entries(document.paths)
    .filter(([, item]) => item.get?.parameters?.some((parameter) => parameter.name === 'page' && parameter.in === 'query'))
    .map(([path]) => path.replace(/[{}]/g, (brace) => `\\${brace}`));
}

interface FuzzRun {
  role: string;
  exitCode: number | null;
  generated: number;
  failures: string;
}

/**
 * Fixed values for path parameters (`path.<name>`) of the operations whose path matches each
 * pattern: real resources, so that the fuzzer reaches past the 404s, and a victim in place of
 * any id it may have learnt from answers, so that the admin run never demotes itself.
 */
type Pins = Array<[pathPattern: string, parameters: Record<string, string>]>;

function configFile(pins: Pins): string {
  const checks =
    `[checks.positive_data_acceptance]\nexpected-statuses = ${JSON.stringify(POSITIVE_DATA_ANSWERS)}\n\n` +
    `[checks.negative_data_rejection]\nexpected-statuses = ${JSON.stringify(NEGATIVE_DATA_ANSWERS)}\n\n`;
  const withBadRequest = JSON.stringify([...POSITIVE_DATA_ANSWERS, '400']);
  const exemptions = REFUSED_BY_DESIGN.map(
    ([names, why]) =>
      `# 400: ${why}\n[[operations]]\ninclude-name-regex = '${names}'\nchecks = { positive_data_acceptance = { expected-statuses = ${withBadRequest} } }\n\n`,
  ).join('');
  return checks + exemptions + pins
    .map(([pattern, parameters]) => {
      const values = Object.entries(parameters).map(([name, value]) => `"path.${name}" = "${value}"`);
      return `[[operations]]\ninclude-path-regex = '${pattern}'\nparameters = { ${values.join(', ')} }\n`;
    })
    .join('\n');
}

function fuzz(role: string, base: string, accessToken: string, pins: Pins, extraArgs: string[] = []): Promise<FuzzRun> {
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
    writeFileSync(join(cwd, 'schemathesis.toml'), configFile(pins));
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

  const post = async <T = { accessToken: string; user: { id: string } }>(path: string, body: object, token?: string): Promise<T> => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const res = await fetch(`${base}/api/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(res.ok).toBe(true);
    return (await res.json()) as T;
  };

  it(
    'finds no 5xx and no answer that differs from the document, as a customer and as an admin',
    async () => {
      const customer = await post('/auth/register', { email: uniqueEmail('fuzz-customer'), password: 'fuzz customer pw', name: 'Fuzz' });
      const victim = await post('/auth/register', { email: uniqueEmail('fuzz-victim'), password: 'fuzz victim pw', name: 'Victim' });
      const adminLogin = await post('/auth/login', admin);
      const category = await post<{ id: string; slug: string }>('/admin/categories', { name: 'Fuzzed' }, adminLogin.accessToken);
      const product = await post<{ id: string }>(
        '/admin/products',
        { title: 'Fuzzed lamp', description: 'A lamp', brand: 'Acme', category: category.slug, price: 1999, stock: 5 },
        adminLogin.accessToken,
      );
      const address = await post<{ id: string }>(
        '/me/addresses',
        { fullName: 'Fuzz Customer', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
        customer.accessToken,
      );
      const runs = await Promise.all([
        // Every admin route refuses a customer (admin-access.e2e-spec.ts): the customer's time goes to the rest.
        fuzz('customer', base, customer.accessToken, [
          ['^/api/v1/me/addresses/', { id: address.id }],
          ['^/api/v1/products/', { idOrSlug: product.id }],
        ], ['--exclude-path-regex', '^/api/v1/admin/']),
        fuzz('admin', base, adminLogin.accessToken, [
          ['^/api/v1/admin/users/', { id: victim.user.id }],
          ['^/api/v1/admin/products/', { id: product.id }],
          ['^/api/v1/admin/categories/', { id: category.id }],
          ['^/api/v1/products/', { idOrSlug: product.id }],
        ]),
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
