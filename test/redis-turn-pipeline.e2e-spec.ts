import type Redis from 'ioredis';
import request from 'supertest';
import { REDIS } from '../src/redis/redis.module';
import { turnPipelineOf } from '../src/redis/turn-pipeline';
import { bearer, login, registerCustomer } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Redis commands asked for in one turn of the event loop go in one pipeline (TurnPipeline):
 * every request's throttle count and session read, the pricing settings version. Against the
 * real Redis: one round trip for a turn, each command's own result or error, and through HTTP
 * each request counted once and judged by its own session.
 */
describe('Redis commands of one turn share one round trip', () => {
  let t: TestApp;
  let redis: Redis;
  const LIMIT = 1000;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT_PER_MINUTE: String(LIMIT) } });
    redis = t.app.get<Redis>(REDIS);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('one pipeline for the turn; each command gets its own result, in the order asked, and its own error alone', async () => {
    const turn = turnPipelineOf(redis);
    await redis.set('turn-test:text', 'not a number');
    const pipelines = jest.spyOn(redis, 'pipeline');
    try {
      const sums = Promise.all(Array.from({ length: 12 }, (_, index) => turn.send<number>((pipeline) => pipeline.incrby('turn-test:sum', index + 1))));
      const wrongType = turn.send((pipeline) => pipeline.incr('turn-test:text'));
      const throwing = turn.send(() => {
        throw new Error('no such command');
      });
      const twoCommands = turn.send((pipeline) => pipeline.get('turn-test:text').get('turn-test:sum'));
      const text = turn.send<string>((pipeline) => pipeline.get('turn-test:text'));
      // 1, 1+2, 1+2+3, ...: each ran once, in the order asked.
      expect(await sums).toEqual(Array.from({ length: 12 }, (_, index) => ((index + 1) * (index + 2)) / 2));
      await expect(wrongType).rejects.toThrow(/not an integer/);
      await expect(throwing).rejects.toThrow('no such command');
      await expect(twoCommands).rejects.toThrow('exactly one command');
      expect(await text).toBe('not a number');
      expect(pipelines).toHaveBeenCalledTimes(1);
      // A later turn's only command goes alone, without a pipeline, with its own result or error.
      expect(await turn.send((pipeline) => pipeline.get('turn-test:sum'))).toBe('78');
      await expect(turn.send((pipeline) => pipeline.incr('turn-test:text'))).rejects.toThrow(/not an integer/);
      await expect(turn.send((pipeline) => pipeline.get('turn-test:text').get('turn-test:sum'))).rejects.toThrow();
      await expect(turn.send((pipeline) => void pipeline.get('turn-test:text'))).rejects.toThrow('must return what its command returns');
      expect(pipelines).toHaveBeenCalledTimes(1);
    } finally {
      pipelines.mockRestore();
    }
  });

  it('20 authenticated requests at once, one of them with a session that has ended: each counted once, each judged by its own session', async () => {
    const buyer = await registerCustomer(t, 'turn-pipeline');
    const ended = await login(t, buyer.email, buyer.password);
    await request(t.http).post('/api/v1/auth/logout').set(...bearer(ended)).expect(204);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => request(t.http).get('/api/v1/cart').set(...bearer(index === 7 ? ended : buyer))),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 20 }, (_, index) => (index === 7 ? 401 : 200)));
    // One count each: 20 different remainders.
    expect(new Set(answers.map((answer) => answer.headers['x-ratelimit-remaining'])).size).toBe(20);
  });
});
