import request from 'supertest';
import { Account, registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { orderEventJobs } from './support/order-jobs';
import { createShopApp, PlacedOrder, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * Order emails to an address nobody proved (issue 25): at most UNVERIFIED_ORDER_EMAILS_PER_HOUR
 * an hour, the rest skipped and counted in the email ledger. Real checkouts and cancels, the
 * real relay, queue, worker and MailDev.
 */
describe('Order emails to unverified addresses', () => {
  let t: TestApp;
  let shop: Shop;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    // Room for 7 unpaid orders at once, so that the unpaid-order cap is not what stops the burst.
    ({ t, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true', MAX_UNPAID_ORDERS: '10' } }));
  });
  afterAll(() => t?.close());

  /** Places `count` orders one after the other, then cancels every one at once. */
  async function burst(buyer: Account, count: number): Promise<PlacedOrder[]> {
    const product = await shop.createProduct({ stock: 50 });
    const orders: PlacedOrder[] = [];
    for (let i = 0; i < count; i += 1) orders.push(await shop.placeOrder(buyer, [[product.id, 1]]));
    const cancels = await Promise.all(
      orders.map((order) => request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set('Authorization', `Bearer ${buyer.accessToken}`)),
    );
    expect(cancels.map((res) => res.status)).toEqual(orders.map(() => 200));
    return orders;
  }

  /** Waits for every order-event job of the orders (placed + cancelled each) and returns their outcomes. */
  async function settledOutcomes(orders: PlacedOrder[]): Promise<string[]> {
    const jobsOf = async () => (await Promise.all(orders.map((order) => orderEventJobs(t, order.id)))).flat();
    await waitFor(
      async () => {
        const jobs = await jobsOf();
        const states = await Promise.all(jobs.map((job) => job.getState()));
        return jobs.length === orders.length * 2 && states.every((state) => state === 'completed');
      },
      `the order-event jobs of ${orders.length} orders to complete`,
      60_000,
    );
    // Read again once all are complete: a job read while still active carries no return value yet.
    return (await jobsOf()).map((job) => job.returnvalue as string);
  }

  async function skippedInLedger(orders: PlacedOrder[]): Promise<number> {
    const ids = orders.map((order) => order.id).join('|');
    return t.connection.collection('email_ledger').countDocuments({ status: 'skipped', key: { $regex: `^skipped:order-event:(${ids}):` } });
  }

  it('sends at most 5 of 14 order emails an hour to an unverified account, the rest counted as skipped', async () => {
    const buyer = await registerCustomer(t, 'unverified-burst');
    const orders = await burst(buyer, 7);
    expect(orders.every((order) => order.email === buyer.email)).toBe(true);

    const outcomes = await settledOutcomes(orders);
    expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'skipped')).toHaveLength(9);
    expect(await mailbox.emailsTo(buyer.email)).toHaveLength(5);
    expect(await skippedInLedger(orders)).toBe(9);
  });

  it('sends every order email to a verified account', async () => {
    const buyer = await registerCustomer(t, 'verified-burst');
    const [verification] = await mailbox.waitForVerificationEmails(buyer.email);
    const token = /token=([\w-]+)/.exec(verification.text)![1];
    await request(t.http).post('/api/v1/auth/email/verify').send({ token }).expect(204);

    const orders = await burst(buyer, 4);
    const outcomes = await settledOutcomes(orders);
    expect(outcomes).toEqual(Array(8).fill('sent'));
    await mailbox.waitForEmails(buyer.email, 8);
    expect(await skippedInLedger(orders)).toBe(0);
  });
});
