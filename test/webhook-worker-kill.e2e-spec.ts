import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { createServer, type IncomingHttpHeaders, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  /** Set when the sender's connection closed before an answer. */
  cut: boolean;
}

/**
 * A delivery in flight when its worker is SIGKILLed: the receiver holds the first request open
 * (no answer) until the kill, so the kill lands mid-attempt every time. Bull sees the job's lock
 * lapse (JOB_LOCK_SECONDS=3) and hands it to the other worker, which sends the same delivery.
 */
describe('Webhook delivery with its worker SIGKILLed in flight', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  let receiver: Server;
  const received: Received[] = [];
  let held: ServerResponse | undefined;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const item: Received = { headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), cut: false };
        received.push(item);
        res.on('close', () => (item.cut = !res.writableFinished));
        if (received.length === 1) held = res; // never answered: its worker dies holding it
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    ({ t, admin, shop } = await createShopApp({ env: { JOB_LOCK_SECONDS: '3' } }));
  });
  afterEach(killProcessesLeftRunning);
  afterAll(async () => {
    await t?.close();
    held?.destroy();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  async function startWorker(): Promise<NodeRun> {
    const worker = runBuilt('worker.js', { ...t.env, LOG_LEVEL: 'info' });
    await waitFor(async () => worker.output().includes('Queue worker started'), 'a worker to start', 30_000);
    return worker;
  }

  it('is delivered by the other worker with the same event id and body', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = (await request(t.http).post('/api/v1/admin/webhooks').set(...bearer(admin)).send({ url, events: ['order.placed'] }).expect(201)).body as { id: string };
    const { id: productId } = await shop.createProduct({ stock: 5 });

    const doomed = await startWorker();
    await shop.placeOrder(await registerCustomer(t, 'hook-kill'), [[productId, 1]]);
    await waitFor(async () => received.length === 1, 'the first worker to send the delivery', 30_000);
    const survivor = await startWorker();
    doomed.child.kill('SIGKILL');
    await doomed.exit;

    await waitFor(async () => received.length === 2, 'the other worker to send it again', 60_000);
    const [first, second] = received;
    expect(first.cut).toBe(true); // the first attempt died with its worker, unanswered
    expect(second.headers['shop-webhook-id']).toBe(first.headers['shop-webhook-id']);
    expect(second.raw).toBe(first.raw);
    expect(JSON.parse(second.raw)).toMatchObject({ id: first.headers['shop-webhook-id'], type: 'order.placed' });

    let deliveries: { id: string; eventId: string; status: string; attempts: { statusCode?: number }[] }[] = [];
    await waitFor(async () => {
      deliveries = (await request(t.http).get(`/api/v1/admin/webhooks/${hook.id}/deliveries`).set(...bearer(admin)).expect(200)).body.items;
      return deliveries[0]?.status === 'delivered';
    }, 'the delivery to be logged as delivered');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].eventId).toBe(first.headers['shop-webhook-id']);
    // The killed attempt logged nothing (its worker died before it could): one attempt, the 200.
    expect(deliveries[0].attempts.map((attempt) => attempt.statusCode)).toEqual([200]);
    const jobs = (await t.app.get<Queue>(getQueueToken('webhooks')).getJobs(['completed', 'failed', 'delayed', 'waiting', 'active'])).filter(
      (job) => job?.name === 'webhook-delivery',
    );
    expect(jobs).toHaveLength(1);
    await waitFor(async () => (await jobs[0].getState()) === 'completed', 'the delivery job to complete');
    expect(received).toHaveLength(2);

    survivor.child.kill('SIGTERM');
    expect(await survivor.exit).toBe(0);
  });
});
