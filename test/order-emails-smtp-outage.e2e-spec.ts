import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import type { QueueName } from '../src/jobs/job.registry';
import { registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { orderEventJobs } from './support/order-jobs';
import { ServerProcess } from './support/server-process';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * SMTP down while an order is placed: the app's SMTP server is a private MailDev that starts out
 * stopped (the shared one is never touched). Checkout does not notice; the order email retries
 * with backoff and arrives, once, when the server is back.
 */
describe('Order email while SMTP is down', () => {
  let t: TestApp;
  let shop: Shop;
  let smtp: ServerProcess & { webUrl: string };
  let ordersQueue: Queue;

  beforeAll(async () => {
    smtp = await ServerProcess.maildev();
    ({ t, shop } = await createShopApp({
      env: { RUN_WORKER_IN_API: 'true', SMTP_PORT: String(smtp.port), JOB_ATTEMPTS: '12', JOB_BACKOFF_MS: '200' },
    }));
    ordersQueue = t.app.get<Queue>(getQueueToken('orders' satisfies QueueName));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('places the order (201) and sends its confirmation once SMTP is back', async () => {
    const buyer = await registerCustomer(t, 'order-smtp-down');
    const product = await shop.createProduct({ price: 1500 });
    const failures: string[] = [];
    ordersQueue.on('failed', (job, error) => failures.push(`${job.name} ${job.id}: ${error.message}`));

    await shop.addToCart(buyer, product.id, 1).expect(200);
    const order = (await shop.checkout(buyer).expect(201)).body as { id: string; number: string };
    await waitFor(async () => failures.length >= 2, 'two failed attempts while SMTP is down');
    expect(failures.join('\n')).toMatch(/order-event .*ECONNREFUSED/);

    await smtp.start();
    const mailbox = new Mailbox(smtp.webUrl);
    const [sent] = await mailbox.waitForEmails(buyer.email, 1, 30_000);
    expect(sent.subject).toBe(`Order ${order.number} received`);
    const [job] = await orderEventJobs(t, order.id);
    await waitFor(async () => (await job.getState()) === 'completed', 'the order-event job to complete');
    const done = (await ordersQueue.getJob(job.id))!;
    expect(done.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(done.returnvalue).toBe('sent');
    expect(await mailbox.emailsTo(buyer.email)).toHaveLength(1);
  });
});
