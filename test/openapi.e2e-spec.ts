import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';

/**
 * The OpenAPI document generated from the code must equal the committed one, so every change
 * of a route or DTO shows up as a diff of test/openapi.snapshot.json in review.
 * After an intended change: `npm run openapi` rewrites the file.
 */
const SNAPSHOT = join(__dirname, 'openapi.snapshot.json');

describe('OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('matches the committed test/openapi.snapshot.json (run `npm run openapi` after an intended change)', async () => {
    const { body: generated } = await request(t.http).get('/docs-json').expect(200);
    if (process.env.UPDATE_OPENAPI === '1') writeFileSync(SNAPSHOT, `${JSON.stringify(generated, null, 2)}\n`);
    const committed = JSON.parse(readFileSync(SNAPSHOT, 'utf8'));
    expect(generated).toEqual(committed);
  });
});
