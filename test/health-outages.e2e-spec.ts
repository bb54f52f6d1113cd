import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import request from 'supertest';
import { sha256 } from '../src/access/sessions.service';
import { bearer, login, registerCustomer } from './support/accounts';
import { ServerProcess } from './support/server-process';
import { waitFor } from './support/wait';
import { createTestApp, TestApp } from './support/test-app';

describe('/health and the API through Redis and MongoDB outages', () => {
  let redis: ServerProcess;
  let mongo: ServerProcess;
  let t: TestApp;
  // The details of a failed check go to the log (the answer has only up or down).
  const logWarning = jest.spyOn(Logger.prototype, 'warn');

  beforeAll(async () => {
    [redis, mongo] = await Promise.all([ServerProcess.redis(), ServerProcess.mongo()]);
    t = await createTestApp({
      env: { REDIS_URL: `redis://127.0.0.1:${redis.port}`, MONGODB_URI: `mongodb://127.0.0.1:${mongo.port}/outage` },
    });
  });

  afterAll(async () => {
    await t?.close();
    await Promise.all([redis?.stop(), mongo?.stop()]);
  });

  it('is 200, turns 503 while Redis is down, and recovers when Redis is back', async () => {
    await request(t.http).get('/health').expect(200);
    const account = await registerCustomer(t, 'outage');

    await redis.stop();
    const down = await request(t.http).get('/health').expect(503);
    // Only up or down per dependency: the driver's message would name the server's address.
    expect(down.body).toEqual({
      status: 'error',
      info: { mongodb: { status: 'up' } },
      error: { redis: { status: 'down' } },
      details: { mongodb: { status: 'up' }, redis: { status: 'down' } },
    });
    expect(JSON.stringify(down.body)).not.toContain(String(redis.port));
    const logged = logWarning.mock.calls.map(([message]) => String(message)).find((message) => message.startsWith('Health check failed: '));
    expect(JSON.parse(logged!.slice('Health check failed: '.length))).toEqual({ redis: { status: 'down', message: expect.any(String) } });

    // What needs Redis answers 503 in the API error shape, never 500; the rest keeps working.
    const me = await request(t.http).get('/api/v1/auth/me').set(...bearer(account)).expect(503);
    expect(me.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
    await request(t.http).post('/api/v1/auth/login').send({ email: account.email, password: account.password }).expect(503);
    await request(t.http).get('/api/v1/categories').expect(200);

    await redis.start();
    await waitFor(
      async () => (await request(t.http).get('/health')).status === 200,
      '/health to report 200 again after Redis restarted',
    );
    const up = await request(t.http).get('/health').expect(200);
    expect(up.body.details.redis.status).toBe('up');
    // The restarted Redis is empty: old sessions are gone, new logins work.
    await request(t.http).post('/api/v1/auth/login').send({ email: account.email, password: account.password }).expect(200);
  });

  it('is 503 while MongoDB is down, answers 503 where MongoDB is needed, and recovers', async () => {
    await request(t.http).get('/health').expect(200);
    const account = await registerCustomer(t, 'mongo-outage');
    const leaving = await login(t, account.email, account.password);
    const [sessionId, secret] = account.refreshToken.split('.');
    const raw = new Redis(`redis://127.0.0.1:${redis.port}`);
    const refreshHash = () => raw.hget(`${t.env.REDIS_KEY_PREFIX}:session:${sessionId}`, 'refreshHash');

    await mongo.stop();
    const down = await request(t.http).get('/health').expect(503);
    expect(down.body).toEqual({
      status: 'error',
      info: { redis: { status: 'up' } },
      error: { mongodb: { status: 'down' } },
      details: { mongodb: { status: 'down' }, redis: { status: 'up' } },
    });
    const categories = await request(t.http).get('/api/v1/categories').expect(503);
    expect(categories.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.any(String) });
    // A refresh reads the user before it rotates anything: the token the client still holds is
    // the current one, and its retry is not taken for a copied token.
    try {
      await request(t.http).post('/api/v1/auth/refresh').send({ refreshToken: account.refreshToken }).expect(503);
      expect(await refreshHash()).toBe(sha256(secret));
    } finally {
      raw.disconnect();
    }
    // A logout still ends the session (its end is recorded in Redis only, and logged).
    await request(t.http).post('/api/v1/auth/logout').set(...bearer(leaving)).expect(204);
    await request(t.http).get('/api/v1/auth/me').set(...bearer(leaving)).expect(401);

    await mongo.start();
    await waitFor(async () => (await request(t.http).get('/health')).status === 200, '/health to recover after MongoDB restarted', 30_000);
    await request(t.http).get('/api/v1/categories').expect(200);
  });
});
