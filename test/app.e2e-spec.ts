import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';
import { ProbeModule } from './support/probe.module';

describe('HTTP app on the real stack', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ extraModules: [ProbeModule] });
  });
  afterAll(() => t?.close());

  it('reports MongoDB and Redis up on /health', async () => {
    const res = await request(t.http).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.mongodb.status).toBe('up');
    expect(res.body.details.redis.status).toBe('up');
  });

  it('serves a valid OpenAPI 3 document at /docs-json and the UI at /docs', async () => {
    const res = await request(t.http).get('/docs-json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeDefined();
    expect(Object.keys(res.body.paths)).toContain('/health');
    expect(res.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    await request(t.http).get('/docs').redirects(1).expect(200).expect('content-type', /html/);
  });

  it('documents every route: private ones with the bearer lock, bodies with their DTO schemas', async () => {
    const { body: doc } = await request(t.http).get('/docs-json').expect(200);
    const publicRoutes = new Set([
      'get /health',
      'post /api/v1/auth/register',
      'post /api/v1/auth/login',
      'post /api/v1/auth/refresh',
      'post /api/v1/auth/password/forgot',
      'post /api/v1/auth/password/reset',
      'post /api/v1/auth/email/verify',
      'get /api/v1/orders/lookup',
      'get /api/v1/products',
      'get /api/v1/products/{idOrSlug}',
      'get /api/v1/categories',
      'get /api/v1/products/{id}/reviews',
      'post /api/v1/payments/webhook',
      'post /api/v1/payments/paypal/webhook',
    ]);
    const operations = Object.entries(doc.paths as Record<string, Record<string, { security?: object[] }>>)
      .filter(([path]) => !path.includes('_probe'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ route: `${method} ${path}`, operation })));
    expect(operations.length).toBeGreaterThan(25);
    for (const { route, operation } of operations) {
      const locked = (operation.security ?? []).some((requirement) => 'bearer' in requirement);
      expect({ route, locked }).toEqual({ route, locked: !publicRoutes.has(route) });
    }
    // Guests reach their cart and checkout with the cart token instead of a login; the first add needs neither.
    const guestAccess = operations.filter(({ operation }) => (operation.security ?? []).some((requirement) => 'cartToken' in requirement)).map(({ route }) => route);
    expect(guestAccess.sort()).toEqual(
      operations.filter(({ route }) => route.includes(' /api/v1/cart') || route === 'post /api/v1/checkout').map(({ route }) => route).sort(),
    );
    const open = operations.filter(({ operation }) => (operation.security ?? []).some((requirement) => Object.keys(requirement).length === 0)).map(({ route }) => route);
    expect(open).toEqual(['post /api/v1/cart/items']);
    expect(doc.components.securitySchemes.cartToken).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Cart-Token' });
    expect(doc.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/RegisterDto');
    expect(doc.components.schemas.RegisterDto.properties.password).toMatchObject({ minLength: 8 });
    // `price` and `stock` are required only without `variants` (a rule across fields, enforced by validation).
    expect(doc.components.schemas.CreateProductDto.required).toEqual(expect.arrayContaining(['title', 'category']));
    expect(Object.keys(doc.components.schemas.CreateProductDto.properties)).toEqual(expect.arrayContaining(['price', 'stock', 'options', 'variants']));
    expect(Object.keys(doc.paths['/api/v1/admin/products/{id}/images'].post.requestBody.content)).toEqual(['multipart/form-data']);
  });

  it('answers unknown routes with 404 in the API error shape', async () => {
    const res = await request(t.http).get('/api/v1/no-such-route').expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
  });

  it('rejects unknown body fields with 400 and stores nothing', async () => {
    const res = await request(t.http)
      .post('/api/v1/_probe/widgets')
      .send({ sku: 'A-1', isAdmin: true })
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/isAdmin/)]));
    expect(await t.connection.collection('probe_widgets').countDocuments()).toBe(0);
  });

  it('rejects operator objects where a string is expected', async () => {
    const res = await request(t.http).post('/api/v1/_probe/widgets').send({ sku: { $ne: null } }).expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(await t.connection.collection('probe_widgets').countDocuments()).toBe(0);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await request(t.http)
      .post('/api/v1/_probe/widgets')
      .set('content-type', 'application/json')
      .send('{"sku": ')
      .expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
  });

  it('answers an oversized JSON body with 413 in the error shape', async () => {
    const res = await request(t.http)
      .post('/api/v1/_probe/widgets')
      .send({ sku: 'x', padding: 'y'.repeat(200 * 1024) })
      .expect(413);
    expect(res.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: expect.any(String) });
  });

  it.each([['an array', '[{"sku":"A"}]'], ['a bare string', '"just a string"'], ['null', 'null']])(
    'answers %s as the body with 400',
    async (_label, body) => {
      const res = await request(t.http).post('/api/v1/_probe/widgets').set('content-type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    },
  );

  it('answers malformed ids with 400, through the pipe and through the filter backstop', async () => {
    const piped = await request(t.http).get('/api/v1/_probe/widgets/not-an-id').expect(400);
    expect(piped.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const unchecked = await request(t.http).get('/api/v1/_probe/widgets/unchecked/not-an-id').expect(400);
    expect(unchecked.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/_id/) });
  });

  it('maps a MongoDB duplicate key to 409 without leaking internals', async () => {
    await request(t.http).post('/api/v1/_probe/widgets').send({ sku: 'DUP-1' }).expect(201);
    const res = await request(t.http).post('/api/v1/_probe/widgets').send({ sku: 'DUP-1' }).expect(409);
    expect(res.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'A record with the same sku already exists',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/E11000|stack|Mongo/);
    expect(await t.connection.collection('probe_widgets').countDocuments({ sku: 'DUP-1' })).toBe(1);
  });

  it('tags every response with a request id, echoing a sane incoming one', async () => {
    const fresh = await request(t.http).get('/health');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await request(t.http).get('/health').set('x-request-id', 'trace-123');
    expect(echoed.headers['x-request-id']).toBe('trace-123');
  });

  it('sends security headers', async () => {
    const res = await request(t.http).get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});
