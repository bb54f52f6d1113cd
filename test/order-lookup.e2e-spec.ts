import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { createShopApp, PlacedOrder, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

/** GET /orders/lookup and POST /me/orders/claim (issue 25) through HTTP against the real stack. */
describe('Order lookup and claim', () => {
  let t: TestApp;
  let shop: Shop;
  let buyer: Account;
  let order: PlacedOrder;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    ({ t, shop } = await createShopApp({ env: { RUN_WORKER_IN_API: 'true' } }));
    buyer = await registerCustomer(t, 'lookup-buyer');
    const product = await shop.createProduct({ stock: 5 });
    order = await shop.placeOrder(buyer, [[product.id, 1]]);
  });
  afterAll(() => t?.close());

  const lookup = (query: Record<string, string>) => request(t.http).get('/api/v1/orders/lookup').query(query);

  /** Verifies the account's email with the token from its registration email. */
  async function verify(account: Account): Promise<void> {
    const [email] = await mailbox.waitForVerificationEmails(account.email);
    await request(t.http).post('/api/v1/auth/email/verify').send({ token: /token=([\w-]+)/.exec(email.text)![1] }).expect(204);
  }

  it('answers the order by number and email, any case, without login, account id or payment secrets', async () => {
    expect(order.payment.clientSecret).toEqual(expect.any(String));
    const res = await lookup({ number: order.number, email: buyer.email.toUpperCase() }).expect(200);
    expect(res.body).toMatchObject({ id: order.id, number: order.number, email: buyer.email, status: 'pending_payment', total: order.total });
    expect(res.body.payment).toEqual({ provider: 'stripe', status: 'requires_payment', paymentIntentId: order.payment.paymentIntentId });
    expect(res.body).not.toHaveProperty('userId');
    expect(JSON.stringify(res.body)).not.toContain(order.payment.clientSecret!);
  });

  it('answers a wrong email exactly like an unknown number', async () => {
    const wrongEmail = await lookup({ number: order.number, email: 'someone-else@example.test' });
    const unknownNumber = await lookup({ number: 'ORD-999999', email: buyer.email });
    expect(wrongEmail.status).toBe(404);
    expect(unknownNumber.status).toBe(404);
    expect(wrongEmail.text).toBe(unknownNumber.text);
    expect(wrongEmail.headers['content-type']).toBe(unknownNumber.headers['content-type']);
  });

  it('refuses a lookup without an email or with a malformed number (400)', async () => {
    await lookup({ number: order.number }).expect(400);
    await lookup({ number: 'ORD 1; drop', email: buyer.email }).expect(400);
  });

  it('lets no account claim an account\'s order, nor an unverified account a thing (404)', async () => {
    await request(t.http).post('/api/v1/me/orders/claim').set(...bearer(buyer)).send({ number: order.number }).expect(404);
    await verify(buyer);
    // Verified, and its own email: but the order already belongs to an account, it is no guest's.
    await request(t.http).post('/api/v1/me/orders/claim').set(...bearer(buyer)).send({ number: order.number }).expect(404);
    await request(t.http).post('/api/v1/me/orders/claim').send({ number: order.number }).expect(401);
  });

  // Last in this file: it uses up this client's failed lookups for the hour.
  it('answers 429 with Retry-After after 10 failed lookups per client in an hour, however many arrive at once', async () => {
    const used = 2; // the two failures of the byte-identical test above
    const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => lookup({ number: `ORD-9${String(i).padStart(5, '0')}`, email: buyer.email })));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([...Array(10 - used).fill(404), ...Array(5 + used).fill(429)]);
    expect(Number(answers.find((res) => res.status === 429)!.headers['retry-after'])).toBeGreaterThan(0);
    // Now even the right number and email wait.
    await lookup({ number: order.number, email: buyer.email }).expect(429);
  });
});
