import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { captureCompleted, PAYPAL_TEST_ENV, Paypal, PaypalOrderPayment } from './support/paypal';
import { orderEventJobs } from './support/order-jobs';
import { ADDRESS, PlacedOrder, Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

type PaypalOrder = PlacedOrder & { payment: PaypalOrderPayment };

describe('PayPal as the second payment provider (MongoDB, Redis, the PayPal test double)', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  let paypal: Paypal;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({ env: { ...PAYPAL_TEST_ENV, SHIPPING_FLAT_RATE: '499', FREE_SHIPPING_THRESHOLD: '100000' } }));
    paypal = new Paypal(t.http);
  });
  afterAll(() => t?.close());

  async function placePaypalOrder(buyer: Account, productId: string, quantity = 1): Promise<PaypalOrder> {
    await shop.addToCart(buyer, productId, quantity).expect(200);
    return (await shop.checkout(buyer, { shippingAddress: ADDRESS, paymentProvider: 'paypal' }).expect(201)).body;
  }

  const read = async (buyer: Account, orderId: string) => (await request(t.http).get(`/api/v1/orders/${orderId}`).set(...bearer(buyer)).expect(200)).body;
  const paidEvents = async (orderId: string) => (await orderEventJobs(t, orderId)).filter((job) => job.data.type === 'OrderPaid');

  it('checkout → approval link → buyer approves → capture → paid; two captures and three webhook deliveries at once are one transition and one event', async () => {
    const buyer = await registerCustomer(t, 'paypal-happy');
    const product = await shop.createProduct({ price: 1750, stock: 4 });
    const order = await placePaypalOrder(buyer, product.id, 2);
    expect(order).toMatchObject({
      status: 'pending_payment',
      total: 2 * 1750 + 499,
      payment: { provider: 'paypal', status: 'requires_payment', paypalOrderId: expect.any(String), approvalUrl: expect.stringContaining(order.payment.paypalOrderId) },
    });
    expect(order.payment).not.toHaveProperty('clientSecret');

    // What PayPal was asked for: the exact total as a decimal string, the order's id as custom_id.
    const atPaypal = await paypal.stored(order.payment.paypalOrderId);
    expect(atPaypal.status).toBe('CREATED');
    expect(atPaypal.purchase_units[0]).toMatchObject({ custom_id: order.id, amount: { currency_code: 'USD', value: '39.99' } });

    // Before the buyer approved, there is nothing to capture.
    expect((await paypal.capture(buyer, order.id).expect(422)).body).toMatchObject({ statusCode: 422, message: expect.stringContaining('ORDER_NOT_APPROVED') });
    expect((await read(buyer, order.id)).status).toBe('pending_payment');

    await paypal.approve(order.payment.paypalOrderId);
    const webhook = captureCompleted(order);
    const answers = await Promise.all([
      paypal.capture(buyer, order.id),
      paypal.capture(buyer, order.id),
      paypal.deliver(webhook),
      paypal.deliver(webhook),
      paypal.deliver(webhook),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0].body).toMatchObject({ id: order.id, status: 'paid', payment: { provider: 'paypal', status: 'succeeded', paypalOrderId: order.payment.paypalOrderId } });
    expect(answers[1].body.status).toBe('paid');
    // One delivery applied the event (paid it, or found it paid by a capture); the other two were the same event again.
    const outcomes = answers.slice(2).map((answer) => answer.body.outcome as string).sort();
    expect(outcomes).toEqual(['already-applied', 'already-applied', expect.stringMatching(/^(paid|duplicate)$/)]);

    const paid = await read(buyer, order.id);
    expect(paid.history.filter((entry: { status: string }) => entry.status === 'paid')).toHaveLength(1);
    expect(paid.payment).not.toHaveProperty('approvalUrl');
    expect(await paidEvents(order.id)).toHaveLength(1);
    // PayPal captured once: the same PayPal-Request-Id made the second capture PayPal's first answer again.
    expect((await paypal.stored(order.payment.paypalOrderId)).purchase_units[0].payments?.captures).toHaveLength(1);

    // Later: the same capture again is still the paid order; the same webhook again changes nothing.
    expect((await paypal.capture(buyer, order.id).expect(200)).body.status).toBe('paid');
    expect((await paypal.deliver(webhook).expect(200)).body).toEqual({ received: true, outcome: 'already-applied' });
    expect(await paidEvents(order.id)).toHaveLength(1);
  });

  it('refuses a webhook PayPal does not verify (400, nothing changed) and does not mark an order paid for the wrong amount or currency', async () => {
    const buyer = await registerCustomer(t, 'paypal-webhooks');
    const product = await shop.createProduct({ price: 1000, stock: 3 });
    const order = await placePaypalOrder(buyer, product.id);
    const event = captureCompleted(order);

    const refusals = [
      await paypal.deliver(event, { signature: 'bm90IGEgc2lnbmF0dXJl' }),
      await paypal.deliver(event, { webhookId: 'WH-SOMEONE-ELSE' }),
      await paypal.deliver(event, { omit: 'PayPal-Transmission-Sig' }),
    ];
    for (const refusal of refusals) expect(refusal.status).toBe(400);
    expect(refusals[0].body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'PayPal did not verify the webhook signature' });
    expect(refusals[2].body.message).toBe('Missing paypal-transmission-sig header');
    // Not recorded either: the same event, once properly signed, is applied.
    expect(await t.connection.collection('payment_events').countDocuments({ _id: `paypal:${event.id}` as never })).toBe(0);
    expect((await read(buyer, order.id)).status).toBe('pending_payment');

    // Refused before PayPal is asked (the test double would vouch for these signatures): a stale
    // or future transmission, a certificate outside PayPal's hosts.
    const local = [
      await paypal.deliver(event, { transmissionTime: new Date(Date.now() - 11 * 60_000).toISOString() }),
      await paypal.deliver(event, { transmissionTime: new Date(Date.now() + 11 * 60_000).toISOString() }),
      await paypal.deliver(event, { transmissionTime: 'yesterday' }),
      await paypal.deliver(event, { certUrl: 'https://evil.example/certs/CERT-1' }),
      await paypal.deliver(event, { certUrl: 'https://paypal.com.evil.example/certs/CERT-1' }),
      await paypal.deliver(event, { certUrl: 'http://api.paypal.com/v1/notifications/certs/CERT-1' }),
    ];
    expect(local.map((res) => [res.status, res.body.message])).toEqual([
      [400, 'The webhook transmission time is missing, malformed or not recent'],
      [400, 'The webhook transmission time is missing, malformed or not recent'],
      [400, 'The webhook transmission time is missing, malformed or not recent'],
      [400, "The webhook certificate URL is not on PayPal's hosts"],
      [400, "The webhook certificate URL is not on PayPal's hosts"],
      [400, "The webhook certificate URL is not on PayPal's hosts"],
    ]);
    expect((await read(buyer, order.id)).status).toBe('pending_payment');

    const short = await paypal.deliver(captureCompleted(order, { amount: { currency_code: 'USD', value: '14.98' } })).expect(200);
    const euros = await paypal.deliver(captureCompleted(order, { amount: { currency_code: 'EUR', value: '14.99' } })).expect(200);
    expect([short.body.outcome, euros.body.outcome]).toEqual(['rejected', 'rejected']);
    expect(await read(buyer, order.id)).toMatchObject({ status: 'pending_payment', payment: { status: 'requires_payment' } });
    expect(await paidEvents(order.id)).toHaveLength(0);

    expect((await paypal.deliver(event).expect(200)).body).toEqual({ received: true, outcome: 'paid' });
    expect((await read(buyer, order.id)).status).toBe('paid');
  });

  it('cancelling a paid PayPal order refunds the capture once at PayPal and releases the stock once', async () => {
    const buyer = await registerCustomer(t, 'paypal-refund');
    const product = await shop.createProduct({ price: 2500, stock: 5 });
    const order = await placePaypalOrder(buyer, product.id, 2);
    await paypal.approve(order.payment.paypalOrderId);
    await paypal.capture(buyer, order.id).expect(200);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 3, stockOnHand: 5, stockAllocated: 2 });

    const cancels = await Promise.all([1, 2, 3].map(() => request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer))));
    expect(cancels.map((answer) => answer.status).sort()).toEqual([200, 409, 409]);
    const cancelled = await read(buyer, order.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', payment: { provider: 'paypal', status: 'refunded', refundedAmount: order.total } });

    const atPaypal = await paypal.stored(order.payment.paypalOrderId);
    expect(atPaypal.refunds).toEqual([expect.objectContaining({ amount: { currency_code: 'USD', value: '54.99' } })]);
    expect(atPaypal.purchase_units[0].payments?.captures[0].status).toBe('REFUNDED');
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockOnHand: 5, stockAllocated: 0 });

    // A late capture webhook for the cancelled order neither revives it nor refunds again.
    await paypal.deliver(captureCompleted(order)).expect(200);
    expect((await read(buyer, order.id)).status).toBe('cancelled');
    expect((await paypal.stored(order.payment.paypalOrderId)).refunds).toHaveLength(1);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockOnHand: 5, stockAllocated: 0 });
  });

  it('capture is for the owner of a PayPal order only', async () => {
    const buyer = await registerCustomer(t, 'paypal-owner');
    const stranger = await registerCustomer(t, 'paypal-stranger');
    const product = await shop.createProduct({ stock: 2 });
    const order = await placePaypalOrder(buyer, product.id);
    await paypal.capture(stranger, order.id).expect(404);
    await paypal.capture(buyer, new Types.ObjectId().toHexString()).expect(404);
    await paypal.capture(buyer, 'not-an-id').expect(400);

    // Cancelled before it was paid: the approval comes too late, nothing is captured.
    await paypal.approve(order.payment.paypalOrderId);
    await request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer)).expect(200);
    expect((await paypal.capture(buyer, order.id).expect(409)).body.message).toBe(`Order ${order.number} is cancelled; its payment is not captured`);
    expect((await paypal.stored(order.payment.paypalOrderId)).status).toBe('APPROVED');

    const stripeOrder = await shop.placeOrder(buyer, [[product.id, 1]]);
    expect((await paypal.capture(buyer, stripeOrder.id).expect(400)).body.message).toBe(`Order ${stripeOrder.number} is not paid through paypal`);
  });

  it('asked PayPal for one access token for everything above: it is cached, and simultaneous calls share it', async () => {
    expect(await paypal.tokensIssued()).toBe(1);
  });
});
