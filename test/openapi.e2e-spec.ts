import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { ServerProcess } from './support/server-process';
import { testEnvironment } from './support/test-env';

/**
 * The OpenAPI document the API serves must equal the committed one, so every change of a route,
 * a DTO or an answer's shape shows up as a diff of test/openapi.snapshot.json in review.
 *
 * The document is read from the built API (dist/, which scripts/test.sh builds first) running as
 * a process: only `nest build` runs the Swagger plugin with the type checker, which documents
 * what each route answers. Under ts-jest (isolatedModules) the plugin cannot see return types.
 * The typed client's types (libs/client/src/schema.ts) must be what openapi-typescript makes of
 * that document, so the client never drifts from it and `tsc` in `npm test` fails on a change
 * that breaks its users. After an intended change: `npm run openapi` rewrites both files.
 */
const SNAPSHOT = join(__dirname, 'openapi.snapshot.json');
const CLIENT_TYPES = join(__dirname, '..', 'libs', 'client', 'src', 'schema.ts');
const GENERATOR = join(__dirname, '..', 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

/** openapi-typescript's output for a document (its CLI: the package is ESM only). */
function clientTypesOf(document: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
  try {
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
    const run = spawnSync(process.execPath, [GENERATOR, join(dir, 'openapi.json'), '--output', join(dir, 'schema.ts')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`openapi-typescript failed: ${run.stderr}`);
    return readFileSync(join(dir, 'schema.ts'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OpenAPI document', () => {
  const env = testEnvironment();
  let api: ServerProcess;

  beforeAll(async () => {
    api = await ServerProcess.api(env);
  });
  afterAll(async () => {
    await api?.stop();
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    await connection.dropDatabase();
    await connection.close();
  });

  let served: unknown;
  beforeAll(async () => {
    const res = await fetch(`http://127.0.0.1:${api.port}/docs-json`);
    expect(res.status).toBe(200);
    served = await res.json();
  });

  it('served by the built API, matches the committed test/openapi.snapshot.json (run `npm run openapi` after an intended change)', () => {
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(served, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(SNAPSHOT, 'utf8'));
    expect(served).toEqual(committed);
  });

  it('has its typed client generated from it: libs/client/src/schema.ts (run `npm run openapi` after an intended change)', () => {
    const generated = clientTypesOf(served);
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(CLIENT_TYPES, generated);
    expect(generated).toBe(readFileSync(CLIENT_TYPES, 'utf8'));
  });
});
