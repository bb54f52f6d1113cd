import { createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import request from 'supertest';
import { Account, bearer } from './accounts';
import type { PlacedOrder, Target } from './shop';

/**
 * The local PayPal test double (scripts/stack/paypal-mock/server.js, started by `npm test`):
 * settings that switch PayPal on against it, the buyer's approval, a look at what it stores,
 * and webhook deliveries signed the way it verifies them.
 */
export const PAYPAL_MOCK_URL = `http://127.0.0.1:${process.env.PAYPAL_MOCK_PORT ?? '12113'}`;
const SIGNING_KEY = process.env.PAYPAL_MOCK_SIGNING_KEY ?? 'paypal-mock-signing-key';
export const TEST_PAYPAL_WEBHOOK_ID = 'WH-SHOP-BACKEND-TESTS';

/** A client id of its own per test file, so what the test double counts for it is this file's. */
export const PAYPAL_TEST_ENV = {
  PAYPAL_CLIENT_ID: `shop-backend-tests-${randomBytes(4).toString('hex')}`,
  PAYPAL_CLIENT_SECRET: 'shop-backend-tests-secret',
  PAYPAL_WEBHOOK_ID: TEST_PAYPAL_WEBHOOK_ID,
  PAYPAL_API_BASE: PAYPAL_MOCK_URL,
};

export interface PaypalOrderPayment {
  provider: 'paypal';
  status: string;
  paypalOrderId: string;
  approvalUrl?: string;
  refundedAmount?: number;
}

interface MockOrder {
  id: string;
  status: string;
  purchase_units: { custom_id?: string; amount: { currency_code: string; value: string }; payments?: { captures: { id: string; status: string }[] } }[];
  refunds: { id: string; captureId: string; amount: { currency_code: string; value: string } }[];
}

export class Paypal {
  constructor(private readonly target: Target) {}

  /** The buyer approves the payment on "PayPal's site". */
  async approve(paypalOrderId: string): Promise<void> {
    await request(PAYPAL_MOCK_URL).post(`/mock/orders/${paypalOrderId}/approve`).expect(200);
  }

  /** The order as the test double stores it, with its refunds. */
  async stored(paypalOrderId: string): Promise<MockOrder> {
    return (await request(PAYPAL_MOCK_URL).get(`/mock/orders/${paypalOrderId}`).expect(200)).body;
  }

  /** How many access tokens the test double handed to this test file's PayPal client. */
  async tokensIssued(): Promise<number> {
    return (await request(PAYPAL_MOCK_URL).get(`/mock/clients/${PAYPAL_TEST_ENV.PAYPAL_CLIENT_ID}`).expect(200)).body.tokensIssued;
  }

  capture(account: Account, orderId: string) {
    return request(this.target).post('/api/v1/payments/paypal/capture').set(...bearer(account)).send({ orderId });
  }

  /** Delivers a webhook event with the headers PayPal sends, signed for `webhookId`. */
  deliver(event: object, options: { webhookId?: string; signature?: string; omit?: string; transmissionTime?: string; certUrl?: string } = {}) {
    const payload = JSON.stringify(event);
    const transmissionId = randomBytes(8).toString('hex');
    const transmissionTime = options.transmissionTime ?? new Date().toISOString();
    const input = `${transmissionId}|${transmissionTime}|${options.webhookId ?? TEST_PAYPAL_WEBHOOK_ID}|${crc32(Buffer.from(payload))}`;
    const headers: Record<string, string> = {
      'PayPal-Auth-Algo': 'SHA256withRSA',
      'PayPal-Cert-Url': options.certUrl ?? `${PAYPAL_MOCK_URL}/v1/notifications/certs/CERT-MOCK`,
      'PayPal-Transmission-Id': transmissionId,
      'PayPal-Transmission-Sig': options.signature ?? createHmac('sha256', SIGNING_KEY).update(input).digest('base64'),
      'PayPal-Transmission-Time': transmissionTime,
    };
    const req = request(this.target).post('/api/v1/payments/paypal/webhook').set('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(headers)) if (name !== options.omit) req.set(name, value);
    return req.send(payload);
  }
}

/** A PAYMENT.CAPTURE.COMPLETED event for the order, as PayPal sends it (capture fields overridable). */
export function captureCompleted(order: PlacedOrder, capture: Record<string, unknown> = {}, eventId = `WH-${randomBytes(8).toString('hex').toUpperCase()}`) {
  const payment = order.payment as unknown as PaypalOrderPayment;
  return {
    id: eventId,
    event_version: '1.0',
    create_time: new Date().toISOString(),
    resource_type: 'capture',
    resource_version: '2.0',
    event_type: 'PAYMENT.CAPTURE.COMPLETED',
    summary: 'Payment completed',
    resource: {
      id: randomBytes(8).toString('hex').toUpperCase(),
      status: 'COMPLETED',
      amount: { currency_code: order.currency.toUpperCase(), value: (order.total / 100).toFixed(2) },
      final_capture: true,
      custom_id: order.id,
      supplementary_data: { related_ids: { order_id: payment.paypalOrderId } },
      ...capture,
    },
  };
}
