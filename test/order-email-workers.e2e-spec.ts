import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { JOBS, type QueueName } from '../src/jobs/job.registry';
import { orderEventJobId } from '../src/orders/events/order-events';
import { Account, registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { orderEventJobs } from './support/order-jobs';
import { createShopApp, PlacedOrder, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const ORDERS = 30;

/**
 * Two worker processes (dist/src/worker.js) sending the confirmations of a batch of orders placed
 * through the API, one of them SIGKILLed mid-batch and replaced. Short lock and claim timeouts,
 * so the dead worker's jobs come back in seconds.
 */
describe('Order emails with a worker SIGKILLed mid-batch', () => {
  let t: TestApp;
  let shop: Shop;
  let ordersQueue: Queue;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    ({ t, shop } = await createShopApp({ env: { JOB_LOCK_SECONDS: '3', MAIL_CLAIM_STALE_SECONDS: '5' } }));
    ordersQueue = t.app.get<Queue>(getQueueToken('orders' satisfies QueueName));
  });
  afterEach(killProcessesLeftRunning);
  afterAll(() => t?.close());

  async function startWorker(): Promise<NodeRun> {
    const worker = runBuilt('worker.js', { ...t.env, LOG_LEVEL: 'info' });
    await waitFor(async () => worker.output().includes('Queue worker started'), 'a worker to start', 30_000);
    return worker;
  }

  async function delivered(buyers: Account[]): Promise<Map<string, number>> {
    const counts = new Map(buyers.map((buyer) => [buyer.email.toLowerCase(), 0]));
    for (const email of await mailbox.emailsToAny(buyers.map((buyer) => buyer.email))) {
      for (const to of email.to) counts.set(to.address.toLowerCase(), (counts.get(to.address.toLowerCase()) ?? 0) + 1);
    }
    return counts;
  }

  it('sends every order confirmation once, but for those in the hands of the killed worker', async () => {
    const product = await shop.createProduct({ price: 800, stock: ORDERS });
    const buyers: Account[] = [];
    for (let i = 0; i < ORDERS; i++) buyers.push(await registerCustomer(t, `kill-${i}`));
    const [doomed] = await Promise.all([startWorker(), startWorker()]);

    // Two thirds placed concurrently and not awaited yet: the kill lands while their emails are
    // being sent; the last third is placed after it. (All placed at once, a fast checkout could
    // have every email out before the kill.)
    const first = Math.round((ORDERS * 2) / 3);
    const placing = Promise.all(buyers.slice(0, first).map((buyer) => shop.placeOrder(buyer, [[product.id, 1]])));
    await waitFor(async () => [...(await delivered(buyers)).values()].filter((n) => n > 0).length >= 3, 'the batch to be under way', 60_000);
    doomed.child.kill('SIGKILL');
    await doomed.exit;
    const sentBeforeKill = [...(await delivered(buyers)).values()].filter((n) => n > 0).length;
    const restarted = await startWorker();
    const rest = await Promise.all(buyers.slice(first).map((buyer) => shop.placeOrder(buyer, [[product.id, 1]])));
    const orders: PlacedOrder[] = [...(await placing), ...rest];

    await waitFor(
      async () => {
        const jobs = (await Promise.all(orders.map((order) => orderEventJobs(t, order.id)))).flat();
        const states = await Promise.all(jobs.map((job) => job.getState()));
        return jobs.length === ORDERS && states.every((state) => state === 'completed');
      },
      'every order confirmation job to complete',
      90_000,
    );
    expect(sentBeforeKill).toBeLessThan(ORDERS); // the kill did land in the middle of the batch

    const jobs = (await Promise.all(orders.map((order) => orderEventJobs(t, order.id)))).flat();
    const keys = jobs.map((job) => orderEventJobId(job.data.orderId, job.data.eventId));
    const takenOver = await t.connection.collection('email_ledger').find({ key: { $in: keys }, takeovers: { $gt: 0 } }).toArray();
    const orderOfKey = new Map(jobs.map((job, i) => [keys[i], job.data.orderId]));
    const buyerOfOrder = new Map(orders.map((order, i) => [order.id, buyers[i].email.toLowerCase()]));
    const inHandOfTheDead = new Set(takenOver.map((record) => buyerOfOrder.get(orderOfKey.get(record.key as string)!)));
    const slots = Object.values(JOBS).filter((job) => job.queue === 'orders').reduce((sum, job) => sum + job.concurrency, 0);
    expect(inHandOfTheDead.size).toBeLessThanOrEqual(slots);

    const counts = await delivered(buyers);
    const unexpected = [...counts].filter(([to, count]) => count !== 1 && !(count === 2 && inHandOfTheDead.has(to)));
    expect(unexpected).toEqual([]);
    expect(await t.connection.collection('email_ledger').countDocuments({ key: { $in: keys }, status: 'sending' })).toBe(0);
    expect((await ordersQueue.getFailed()).filter((job) => keys.includes(String(job.id)))).toEqual([]);
    console.info(`SIGKILL mid-batch of orders: ${inHandOfTheDead.size} emails taken over, ${[...counts.values()].filter((n) => n === 2).length} sent twice`);

    restarted.child.kill('SIGTERM');
    expect(await restarted.exit).toBe(0);
  });
});
