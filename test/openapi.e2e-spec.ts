import { readFileSync, writeFileSync } from 'node:fs';
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
 * After an intended change: `npm run openapi` rewrites the file.
 */
const SNAPSHOT = join(__dirname, 'openapi.snapshot.json');

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

  it('served by the built API, matches the committed test/openapi.snapshot.json (run `npm run openapi` after an intended change)', async () => {
    const res = await fetch(`http://127.0.0.1:${api.port}/docs-json`);
    expect(res.status).toBe(200);
    const served = await res.json();
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(served, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(SNAPSHOT, 'utf8'));
    expect(served).toEqual(committed);
  });
});
