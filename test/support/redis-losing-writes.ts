import Redis from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ServerProcess } from './server-process';
import type { TestApp } from './test-app';
import { waitFor } from './wait';

/**
 * A private Redis that loses its last writes: restarted, it loads the snapshot the test took
 * before them (as after an append-only file lost its last second, or a failover to a replica that
 * lagged). The writes in MongoDB stay; what Redis knew of them is gone.
 */
export class RedisLosingWrites {
  private constructor(
    private readonly dir: string,
    private readonly server: ServerProcess,
    /** A connection of the test's own, outside the app's key prefix. */
    readonly client: Redis,
  ) {}

  static async start(): Promise<RedisLosingWrites> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-rollback-'));
    const server = await ServerProcess.redis({ snapshotDir: dir });
    return new RedisLosingWrites(dir, server, new Redis(`redis://127.0.0.1:${server.port}`, { lazyConnect: true, maxRetriesPerRequest: null }));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.server.port}`;
  }

  /** Everything Redis holds now is what it comes back with; what is written after is lost. */
  async snapshot(): Promise<void> {
    await this.connected();
    await this.client.save();
  }

  /** Restarts Redis from the last snapshot and waits until the app is connected to it again. */
  async loseWritesSinceSnapshot(t: TestApp): Promise<void> {
    this.client.disconnect();
    await this.server.stop();
    await this.server.start();
    await waitFor(async () => (await request(t.http).get('/health')).status === 200, 'the API to be connected to Redis again');
  }

  /** The test's own connection, (re)connected. */
  async connected(): Promise<Redis> {
    await this.client.connect().catch(() => undefined);
    return this.client;
  }

  async stop(): Promise<void> {
    if (this.client.status !== 'end') this.client.disconnect();
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
