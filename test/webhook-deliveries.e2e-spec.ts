import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createShopApp, paymentSucceeded, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { freePort, waitFor } from './support/wait';
import { Receiver, verifies } from './support/webhook-receiver';
import { WebhookDeliveries } from '../src/webhooks/webhook-deliveries';
import { WebhookLogPruning } from '../src/webhooks/webhook-log-pruning';

interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: string;
  attempts: { at: string; statusCode?: number; error?: string; durationMs: number; responseBody?: string }[];
}

describe('Outgoing webhooks: deliveries', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  const receiver = new Receiver();

  beforeAll(async () => {
    await receiver.start();
    ({ t, admin, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_BACKOFF_MS: '200' } }));
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  async function endpoint(url: string, events: string[]): Promise<{ id: string; secret: string }> {
    return (await request(t.http).post('/api/v1/admin/webhooks').set(...bearer(admin)).send({ url, events }).expect(201)).body;
  }

  async function deliveries(endpointId: string): Promise<Delivery[]> {
    return (await request(t.http).get(`/api/v1/admin/webhooks/${endpointId}/deliveries`).set(...bearer(admin)).expect(200)).body.items;
  }

  /** Waits until the endpoint's deliveries are all settled (delivered or failed). */
  async function settled(endpointId: string, count: number) {
    let items: Delivery[] = [];
    await waitFor(async () => {
      items = await deliveries(endpointId);
      return items.length === count && items.every((item) => item.status !== 'pending');
    }, `${count} settled deliveries of endpoint ${endpointId}`, 30_000);
    return items;
  }

  const deliveryJobsOf = async (deliveryId: string) =>
    (await t.app.get<Queue>(getQueueToken('webhooks')).getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']))
      .filter((job) => job && (job.data as { deliveryId?: string }).deliveryId === deliveryId);

  it('retries a receiver answering 500, 500, 200: three attempts, one event id, signed, then nothing more', async () => {
    const hook = await endpoint(receiver.url('/flaky', [500, 500, 200]), ['order.placed']);
    const { id: productId } = await shop.createProduct({ stock: 5 });
    const order = await shop.placeOrder(await registerCustomer(t, 'hook-flaky'), [[productId, 1]]);

    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({ type: 'order.placed', status: 'delivered' });
    expect(delivery.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 500, 200]);
    expect(delivery.attempts[0].responseBody!.length).toBeLessThanOrEqual(1024);
    const [job] = await deliveryJobsOf(delivery.id);
    await waitFor(async () => (await job.getState()) === 'completed', 'the delivery job to complete');

    const got = receiver.at('/flaky');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((item) => item.body.id))).toEqual(new Set([delivery.eventId]));
    expect(new Set(got.map((item) => item.headers['shop-webhook-id']))).toEqual(new Set([delivery.eventId]));
    expect(new Set(got.map((item) => item.raw)).size).toBe(1);
    expect(got[0].body).toMatchObject({ type: 'order.placed', sequence: 1, data: { id: order.id, status: 'pending_payment' } });
    expect(got[0].raw).not.toContain('clientSecret');
    for (const item of got) expect(verifies(item, hook.secret)).toBe(true);
    expect(verifies({ ...got[0], raw: got[0].raw.replace('order.placed', 'order.paid') }, hook.secret)).toBe(false);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS and marks the delivery failed; a redelivery is one more attempt with the same id', async () => {
    const url = receiver.url('/down', [500]);
    const hook = await endpoint(url, ['order.placed']);
    const { id: productId } = await shop.createProduct({ stock: 5 });
    await shop.placeOrder(await registerCustomer(t, 'hook-down'), [[productId, 1]]);

    const [failed] = await settled(hook.id, 1);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toHaveLength(3);
    expect(receiver.at('/down')).toHaveLength(3);

    receiver.url('/down', [200]);
    await request(t.http).post(`/api/v1/admin/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`).set(...bearer(admin)).expect(202);
    await waitFor(async () => (await deliveries(hook.id))[0].status === 'delivered', 'the redelivery', 30_000);
    const got = receiver.at('/down');
    expect(got).toHaveLength(4);
    expect(got[3].body.id).toBe(failed.eventId);
    expect((await deliveries(hook.id))[0].attempts.map((attempt) => attempt.statusCode)).toEqual([500, 500, 500, 200]);

    await request(t.http).post(`/api/v1/admin/webhooks/${hook.id}/deliveries/000000000000000000000000/redeliver`).set(...bearer(admin)).expect(404);
    await request(t.http).get('/api/v1/admin/webhooks/000000000000000000000000/deliveries').set(...bearer(admin)).expect(404);
  });

  it('sends the events of one order with increasing sequence, each once per subscribed endpoint', async () => {
    const path = '/ordered';
    const hook = await endpoint(receiver.url(path), ['order.placed', 'order.paid', 'order.shipped']);
    const other = await endpoint(receiver.url('/paid-only'), ['order.paid']);
    const { id: productId } = await shop.createProduct({ stock: 5 });
    const order = await shop.placeOrder(await registerCustomer(t, 'hook-seq'), [[productId, 1]]);
    await shop.deliver(paymentSucceeded(order)).expect(200);
    await shop.setStatus(order.id, 'processing').expect(200);
    await shop.setStatus(order.id, 'shipped', 'TRACK-7').expect(200);

    await settled(hook.id, 3);
    await settled(other.id, 1);
    const got = receiver.at(path).filter((item) => item.body.data.id === order.id);
    expect(got).toHaveLength(3);
    const sequenceOf = (type: string) => got.find((item) => item.body.type === type)!.body.sequence;
    expect(sequenceOf('order.placed')).toBeLessThan(sequenceOf('order.paid'));
    expect(sequenceOf('order.paid')).toBeLessThan(sequenceOf('order.shipped'));
    expect(new Set(got.map((item) => item.body.id)).size).toBe(3);
    const paid = receiver.at('/paid-only').filter((item) => item.body.data.id === order.id);
    expect(paid).toHaveLength(1);
    expect(paid[0].body.id).toBe(got.find((item) => item.body.type === 'order.paid')!.body.id);
  });

  it('a second hand-over of the same event makes no second delivery', async () => {
    const hook = await endpoint(receiver.url('/once'), ['order.placed']);
    const { id: productId } = await shop.createProduct({ stock: 5 });
    const order = await shop.placeOrder(await registerCustomer(t, 'hook-once'), [[productId, 1]]);
    const [delivery] = await settled(hook.id, 1);
    const sent = receiver.at('/once').find((item) => item.body.id === delivery.eventId)!;
    const stored = () => t.connection.collection('webhook_deliveries').countDocuments({ eventId: delivery.eventId });
    const before = await stored(); // one per endpoint subscribed to order.placed, earlier tests' included
    await t.app.get(WebhookDeliveries).fanOut({ orderId: order.id, eventId: delivery.eventId, type: 'OrderPlaced', sequence: sent.body.sequence, at: sent.body.createdAt });
    expect(await deliveries(hook.id)).toHaveLength(1);
    expect(await stored()).toBe(before);
  });

  it('the prune deletes deliveries older than WEBHOOK_LOG_DAYS (30) and keeps the recent ones', async () => {
    const hook = await endpoint(receiver.url('/pruned'), ['order.placed']);
    const { id: productId } = await shop.createProduct({ stock: 5 });
    for (const name of ['hook-old', 'hook-edge', 'hook-new']) await shop.placeOrder(await registerCustomer(t, name), [[productId, 1]]);
    const [newest, edge, oldest] = await settled(hook.id, 3);
    const now = new Date();
    const day = 24 * 60 * 60 * 1000;
    const age = (id: string, ms: number) =>
      t.connection.collection('webhook_deliveries').updateOne({ _id: new Types.ObjectId(id) }, { $set: { createdAt: new Date(now.getTime() - ms) } });
    await age(oldest.id, 30 * day + 60_000);
    await age(edge.id, 30 * day - 60_000);

    const pruning = t.app.get(WebhookLogPruning);
    expect(await pruning.prune(now)).toBeGreaterThanOrEqual(1);
    expect((await deliveries(hook.id)).map((item) => item.id)).toEqual([newest.id, edge.id]);
    expect(await pruning.prune(now)).toBe(0);
    // Two minutes later the edge one is past 30 days too.
    await pruning.prune(new Date(now.getTime() + 120_000));
    expect((await deliveries(hook.id)).map((item) => item.id)).toEqual([newest.id]);
  });

  it('the receiver script (scripts/webhook-receiver.mjs) prints each delivery and tells a valid signature from a forged one', async () => {
    const port = await freePort();
    const hook = await endpoint(`http://127.0.0.1:${port}/shop`, ['order.placed']);
    const script = spawn(process.execPath, [join(__dirname, '..', 'scripts', 'webhook-receiver.mjs'), '--port', String(port)], {
      env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: hook.secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    script.stdout.on('data', (chunk) => (output += chunk));
    script.stderr.on('data', (chunk) => (output += chunk));
    const exit = new Promise<number | null>((resolve) => script.once('exit', resolve));
    try {
      await waitFor(async () => output.includes('webhook receiver listening'), 'the receiver script to listen');
      const { id: productId } = await shop.createProduct({ stock: 5 });
      const order = await shop.placeOrder(await registerCustomer(t, 'hook-script'), [[productId, 1]]);
      const [delivery] = await settled(hook.id, 1);
      expect(delivery.status).toBe('delivered');
      await waitFor(async () => output.includes(`id=${delivery.eventId}`), 'the script to print the delivery');
      expect(output).toContain(`POST /shop id=${delivery.eventId} type=order.placed sequence=1 valid`);
      expect(output).toContain(`"id":"${order.id}"`);

      const forged = await fetch(`http://127.0.0.1:${port}/shop`, {
        method: 'POST',
        headers: { 'shop-webhook-id': 'forged-1', 'shop-webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'shop-webhook-signature': `v1=${'0'.repeat(64)}` },
        body: JSON.stringify({ id: 'forged-1', type: 'order.paid', sequence: 9, data: {} }),
      });
      expect(forged.status).toBe(400);
      // The script's stdout reaches us through a pipe, possibly after its HTTP answer: wait for the line.
      await waitFor(async () => output.includes('id=forged-1'), 'the script to print the forged delivery');
      expect(output).toContain('id=forged-1 type=order.paid sequence=9 invalid (bad signature)');
    } finally {
      script.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
  });
});
