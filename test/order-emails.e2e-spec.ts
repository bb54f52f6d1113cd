import { Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { JobQueue } from '../src/jobs/job-queue';
import { orderEventJobId, type OrderEventJob } from '../src/orders/events/order-events';
import { Account, bearer, registerCustomer } from './support/accounts';
import { CaughtEmail, Mailbox } from './support/mailbox';
import { orderEventJobs } from './support/order-jobs';
import { createShopApp, paymentSucceeded, PlacedOrder, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/** Dollars as a reader expects them, written independently of the app's formatter. */
const usd = (minor: number) => `$${(minor / 100).toFixed(2)}`;

/** Order events through the real relay, `orders` queue, worker, mail ledger and MailDev. */
describe('Order emails', () => {
  let t: TestApp;
  let shop: Shop;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    ({ t, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true' } }));
  });
  afterAll(() => t?.close());

  /** Waits until every `order-event` job of the order has finished, then returns its emails. */
  async function settledEmails(buyer: Account, order: PlacedOrder, events: number): Promise<CaughtEmail[]> {
    await waitFor(
      async () => {
        const jobs = await orderEventJobs(t, order.id);
        const states = await Promise.all(jobs.map((job) => job.getState()));
        return jobs.length === events && states.every((state) => state === 'completed');
      },
      `${events} order-event job(s) of ${order.number} to complete`,
      30_000,
    );
    return mailbox.emailsTo(buyer.email);
  }

  const withSubject = (emails: CaughtEmail[], subject: string) => emails.filter((email) => email.subject === subject);

  it('sends one email per event of a real order lifecycle, to the buyer, with the order number', async () => {
    const buyer = await registerCustomer(t, 'order-mail', 'Ada');
    const product = await shop.createProduct({ title: 'Blue Mug', price: 1250, stock: 5 });
    const order = await shop.placeOrder(buyer, [[product.id, 2]]);

    const [placed] = await mailbox.waitForEmails(buyer.email, 1, 30_000);
    expect(placed.subject).toBe(`Order ${order.number} received`);
    expect(placed.to.map((to) => to.address)).toEqual([buyer.email]);
    expect(placed.text).toContain('Hello Ada,');
    expect(placed.text).toContain('2 x Blue Mug at $12.50 = $25.00');
    expect(placed.text).toContain(`Total: ${usd(order.total)}`);
    expect(placed.html).toContain('<td>Blue Mug</td>');

    await shop.deliver(paymentSucceeded(order)).expect(200);
    await shop.setStatus(order.id, 'processing').expect(200);
    await shop.setStatus(order.id, 'shipped', 'TRACK-42').expect(200);
    await shop.setStatus(order.id, 'delivered').expect(200);

    // Placed, paid, shipped, delivered: `processing` records no event.
    const emails = await settledEmails(buyer, order, 4);
    expect(emails.map((email) => email.subject).sort()).toEqual(
      [
        `Order ${order.number} received`,
        `Payment received for order ${order.number}`,
        `Order ${order.number} has shipped`,
        `Order ${order.number} has been delivered`,
      ].sort(),
    );
    expect(emails.every((email) => email.to.length === 1 && email.to[0].address === buyer.email)).toBe(true);
    const [paid] = withSubject(emails, `Payment received for order ${order.number}`);
    expect(paid.text).toContain(`payment of ${usd(order.total)} for order ${order.number}`);
    const [shipped] = withSubject(emails, `Order ${order.number} has shipped`);
    expect(shipped.text).toContain('Tracking number: TRACK-42');
    expect(shipped.html).toContain('<strong>TRACK-42</strong>');
  });

  it('says a cancelled paid order is refunded, and an unpaid one took no money', async () => {
    const product = await shop.createProduct({ price: 900, stock: 5 });

    const payer = await registerCustomer(t, 'cancel-paid');
    const paidOrder = await shop.placeOrder(payer, [[product.id, 1]]);
    await shop.deliver(paymentSucceeded(paidOrder)).expect(200);
    await request(t.http).post(`/api/v1/orders/${paidOrder.id}/cancel`).set(...bearer(payer)).expect(200);
    const [refunded] = withSubject(await settledEmails(payer, paidOrder, 3), `Order ${paidOrder.number} has been cancelled`);
    expect(refunded.text).toMatch(new RegExp(`(We have refunded|You will be refunded) \\${usd(paidOrder.total)} to your original payment method`));
    expect(refunded.text).not.toContain('No payment was taken');

    const browser = await registerCustomer(t, 'cancel-unpaid');
    const unpaidOrder = await shop.placeOrder(browser, [[product.id, 1]]);
    await request(t.http).post(`/api/v1/orders/${unpaidOrder.id}/cancel`).set(...bearer(browser)).expect(200);
    const emails = await settledEmails(browser, unpaidOrder, 2);
    expect(emails).toHaveLength(2);
    const [cancelled] = withSubject(emails, `Order ${unpaidOrder.number} has been cancelled`);
    expect(cancelled.text).toContain('No payment was taken for this order.');
    expect(cancelled.text).not.toMatch(/refund/i);
  });

  it('shows markup in a product title and a customer name as text in the HTML part', async () => {
    const buyer = await registerCustomer(t, 'markup', '<b>Eve</b>');
    const product = await shop.createProduct({ title: '<script>alert(1)</script> Mug & "co"', price: 500 });
    const order = await shop.placeOrder(buyer, [[product.id, 1]]);

    const [email] = await mailbox.waitForEmails(buyer.email, 1, 30_000);
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Mug &amp; &quot;co&quot;');
    expect(email.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt;,');
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<b>Eve');
    expect(email.text).toContain('1 x <script>alert(1)</script> Mug & "co" at $5.00');
    expect(email.subject).toBe(`Order ${order.number} received`);
  });

  it('escapes the customer name in the text part too: no lines of its own, no working link', async () => {
    const buyer = await registerCustomer(t, 'forger', 'Eve\n\nYour account is locked. Sign in at https://evil.example/login or www.evil.example');
    const product = await shop.createProduct({ price: 500 });
    await shop.placeOrder(buyer, [[product.id, 1]]);

    const [email] = await mailbox.waitForEmails(buyer.email, 1, 30_000);
    expect(email.text).toContain('Hello Eve Your account is locked. Sign in at https[:]//evil[.]example/login or www[.]evil[.]example,\n');
    for (const part of [email.text, email.html]) {
      expect(part).not.toMatch(/\nYour account/);
      expect(part).not.toContain('https://evil');
      expect(part).not.toContain('evil.example');
    }
  });

  it('sends one email for the same event enqueued three times at once', async () => {
    const buyer = await registerCustomer(t, 'thrice');
    const product = await shop.createProduct({ price: 700 });
    const order = await shop.placeOrder(buyer, [[product.id, 1]]);
    await settledEmails(buyer, order, 1);
    await t.connection.collection('orders').updateOne({ _id: new Types.ObjectId(order.id) }, { $set: { trackingNumber: 'TRACK-3' } });

    // An OrderShipped event no relay handed over yet, queued three times under distinct Bull ids
    // (Bull's own jobId dedupe is not what is tested here) and raced, plus once under its own id.
    const event: OrderEventJob = { orderId: order.id, eventId: new Types.ObjectId().toHexString(), type: 'OrderShipped' };
    const jobs = t.app.get(JobQueue);
    const jobIds = [randomUUID(), randomUUID(), orderEventJobId(event.orderId, event.eventId)];
    await Promise.all(jobIds.map((jobId) => jobs.queue('order-event', event, { jobId })));

    let results: unknown[] = [];
    await waitFor(
      async () => {
        const found = (await orderEventJobs(t, order.id)).filter((job) => job.data.eventId === event.eventId);
        results = found.map((job) => job.returnvalue);
        return found.length === 3 && (await Promise.all(found.map((job) => job.getState()))).every((state) => state === 'completed');
      },
      'the three jobs to complete',
      30_000,
    );
    expect(results.sort()).toEqual(['already-sent', 'already-sent', 'sent']);
    const shipped = withSubject(await mailbox.emailsTo(buyer.email), `Order ${order.number} has shipped`);
    expect(shipped).toHaveLength(1);
    expect(shipped[0].text).toContain('Tracking number: TRACK-3');
  });
});
