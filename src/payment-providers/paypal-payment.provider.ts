import { Logger } from '@nestjs/common';
// PayPal writes amounts as decimal strings in the currency's precision ("19.99" USD, "1999" JPY).
import { parseDecimalAmount, toDecimalAmount } from '@app/common';
import { AppConfig } from '../config/app-config';
import { CaptureRequest, CreatedIntent, CreateIntentRequest, PaymentEvent, PaymentProvider, RefundRequest } from './payment-provider';
import { InvalidWebhookError, PaymentDeclinedError, PaymentProviderUnavailableError } from './payment-providers.errors';

/** A token is renewed this long before PayPal says it expires, so no call goes out with a dying one. */
const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** The webhook headers PayPal signs a delivery with, in the verify call's field names. */
const SIGNATURE_HEADERS = {
  auth_algo: 'paypal-auth-algo',
  cert_url: 'paypal-cert-url',
  transmission_id: 'paypal-transmission-id',
  transmission_sig: 'paypal-transmission-sig',
  transmission_time: 'paypal-transmission-time',
} as const;

/** A delivery signed longer ago (or later) than this is refused before PayPal is asked: a replay or a forgery. */
const TRANSMISSION_TOLERANCE_MS = 10 * 60_000;
/** Where PayPal keeps its signing certificates; the configured API base (the local double) too. */
const PAYPAL_HOST = /(^|\.)paypal\.com$/;

interface PayPalAmount {
  currency_code: string;
  value: string;
}

interface PayPalCapture {
  id: string;
  status: 'COMPLETED' | 'DECLINED' | 'PARTIALLY_REFUNDED' | 'PENDING' | 'REFUNDED' | 'FAILED';
  amount?: PayPalAmount;
  custom_id?: string;
  supplementary_data?: { related_ids?: { order_id?: string } };
}

interface PayPalOrder {
  id: string;
  status: string;
  links?: { href: string; rel: string; method?: string }[];
  purchase_units?: { custom_id?: string; amount?: PayPalAmount; payments?: { captures?: PayPalCapture[] } }[];
}

interface PayPalWebhookEvent {
  id?: unknown;
  event_type?: unknown;
  resource?: PayPalCapture;
}

interface PayPalAnswer {
  status: number;
  body: unknown;
}

/**
 * PayPal Orders v2 over REST, with an OAuth2 client-credentials token cached until shortly
 * before it expires. `@paypal/paypal-server-sdk` is not used: its environment is a fixed choice
 * of sandbox or production (no base URL of our own, so no local test double) and it has no call
 * for verify-webhook-signature. Every write carries a `PayPal-Request-Id` derived from the
 * order, so a retry returns PayPal's first answer instead of doing it twice.
 *
 * Created only when PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET and PAYPAL_WEBHOOK_ID are all set
 * (`fromConfig`); otherwise PayPal is not offered.
 */
export class PaypalPaymentProvider implements PaymentProvider {
  readonly name = 'paypal';
  private readonly logger = new Logger(PaypalPaymentProvider.name);
  private token?: { value: Promise<string>; renewAt: number };

  private constructor(
    private readonly apiBase: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly webhookId: string,
    private readonly returnBase: string,
  ) {}

  static fromConfig(config: AppConfig): PaypalPaymentProvider | undefined {
    const clientId = config.get('PAYPAL_CLIENT_ID');
    const clientSecret = config.get('PAYPAL_CLIENT_SECRET');
    const webhookId = config.get('PAYPAL_WEBHOOK_ID');
    if (!clientId || !clientSecret || !webhookId) return undefined;
    return new PaypalPaymentProvider(config.get('PAYPAL_API_BASE').replace(/\/+$/, ''), clientId, clientSecret, webhookId, config.get('APP_PUBLIC_URL').replace(/\/+$/, ''));
  }

  async createIntent(request: CreateIntentRequest): Promise<CreatedIntent> {
    const returnUrl = `${this.returnBase}/checkout/paypal/return?orderId=${request.orderId}`;
    const order = await this.call<PayPalOrder>('POST', '/v2/checkout/orders', {
      requestId: request.idempotencyKey,
      body: {
        intent: 'CAPTURE',
        purchase_units: [
          {
            reference_id: request.orderId,
            custom_id: request.orderId,
            description: `Order ${request.orderNumber}`,
            amount: { currency_code: request.currency.toUpperCase(), value: toDecimalAmount(request.amount, request.currency) },
          },
        ],
        payment_source: {
          paypal: {
            experience_context: {
              user_action: 'PAY_NOW',
              return_url: returnUrl,
              cancel_url: `${this.returnBase}/checkout/paypal/cancel?orderId=${request.orderId}`,
            },
          },
        },
      },
    });
    const approval = order.links?.find((link) => link.rel === 'payer-action' || link.rel === 'approve');
    if (!order.id || !approval) throw new PaymentProviderUnavailableError('PayPal returned an order without an approval link');
    return { intentId: order.id, approvalUrl: approval.href };
  }

  async capture(request: CaptureRequest): Promise<PaymentEvent> {
    const path = `/v2/checkout/orders/${encodeURIComponent(request.intentId)}`;
    const answer = await this.request('POST', `${path}/capture`, { requestId: request.idempotencyKey, body: {} });
    // Captured before under another request id: read what that capture did.
    const order = issueOf(answer) === 'ORDER_ALREADY_CAPTURED' ? await this.call<PayPalOrder>('GET', path) : this.result<PayPalOrder>(answer);
    const capture = order.purchase_units?.[0]?.payments?.captures?.[0];
    if (!capture) throw new PaymentProviderUnavailableError('PayPal answered a capture without a capture');
    return this.captureEvent(`capture:${capture.id}`, capture, order.id);
  }

  /** PayPal refunds captures, not orders: the order's capture is looked up first. */
  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    const order = await this.call<PayPalOrder>('GET', `/v2/checkout/orders/${encodeURIComponent(request.intentId)}`);
    const capture = order.purchase_units?.[0]?.payments?.captures?.[0];
    if (!capture?.amount) throw new PaymentDeclinedError(`PayPal order ${request.intentId} has no capture to refund`);
    const currency = capture.amount.currency_code;
    const refund = await this.call<{ id: string }>('POST', `/v2/payments/captures/${encodeURIComponent(capture.id)}/refund`, {
      requestId: request.idempotencyKey,
      body: { amount: { currency_code: currency, value: toDecimalAmount(request.amount, currency) } },
    });
    return { refundId: refund.id };
  }

  /**
   * Nothing to call: the shop creates PayPal orders with intent CAPTURE, and PayPal's Orders API
   * has no cancel or void for them (void exists only for authorizations). An order the buyer
   * never approved simply expires at PayPal, and the shop refuses to capture a cancelled order
   * (PaymentCaptureService), so no money can move for it; an approval captured anyway would be
   * refunded by the payment event's path.
   */
  async cancelIntent(): Promise<'expires'> {
    return 'expires';
  }

  /**
   * Verified by PayPal itself (verify-webhook-signature with our webhook id): a delivery it does
   * not vouch for is refused with 400 and changes nothing.
   */
  async parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<PaymentEvent> {
    const signature: Record<string, string> = {};
    for (const [field, header] of Object.entries(SIGNATURE_HEADERS)) {
      const value = headers[header];
      if (typeof value !== 'string' || value.length === 0) throw new InvalidWebhookError(`Missing ${header} header`);
      signature[field] = value;
    }
    this.assertPlausibleTransmission(signature.transmission_time, signature.cert_url);
    let event: PayPalWebhookEvent;
    try {
      event = JSON.parse(rawBody.toString('utf8')) as PayPalWebhookEvent;
    } catch {
      throw new InvalidWebhookError('The webhook body is not JSON');
    }
    if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.event_type !== 'string') {
      throw new InvalidWebhookError('The webhook body is not a PayPal event');
    }
    const verification = await this.call<{ verification_status?: string }>('POST', '/v1/notifications/verify-webhook-signature', {
      body: { ...signature, webhook_id: this.webhookId, webhook_event: event },
    });
    if (verification.verification_status !== 'SUCCESS') throw new InvalidWebhookError('PayPal did not verify the webhook signature');

    if ((event.event_type === 'PAYMENT.CAPTURE.COMPLETED' || event.event_type === 'PAYMENT.CAPTURE.DENIED') && event.resource) {
      return this.captureEvent(event.id, event.resource);
    }
    return { kind: 'ignored', eventId: event.id, type: event.event_type };
  }

  /**
   * Checks that need no call to PayPal, made before the verify call each anonymous delivery
   * would otherwise cost: the transmission is recent (PayPal signs it when it sends it) and the
   * certificate is PayPal's (an https URL on PayPal's hosts, or the configured API base).
   */
  private assertPlausibleTransmission(transmissionTime: string, certUrl: string): void {
    const sentAt = Date.parse(transmissionTime);
    if (Number.isNaN(sentAt) || Math.abs(Date.now() - sentAt) > TRANSMISSION_TOLERANCE_MS) {
      throw new InvalidWebhookError('The webhook transmission time is missing, malformed or not recent');
    }
    let cert: URL;
    try {
      cert = new URL(certUrl);
    } catch {
      throw new InvalidWebhookError('The webhook certificate URL is not a URL');
    }
    const ownApi = new URL(this.apiBase);
    const fromPayPal = cert.protocol === 'https:' && PAYPAL_HOST.test(cert.hostname) && !cert.port;
    if (!fromPayPal && cert.origin !== ownApi.origin) {
      throw new InvalidWebhookError("The webhook certificate URL is not on PayPal's hosts");
    }
  }

  /** A capture as the order lifecycle sees it; the order checks intent, amount and currency. */
  private captureEvent(eventId: string, capture: PayPalCapture, paypalOrderId?: string): PaymentEvent {
    const intentId = capture.supplementary_data?.related_ids?.order_id ?? paypalOrderId ?? '';
    const orderId = capture.custom_id;
    if (capture.status === 'COMPLETED') {
      const currency = capture.amount?.currency_code ?? '';
      return { kind: 'succeeded', eventId, intentId, orderId, amount: parseDecimalAmount(capture.amount?.value, currency || 'XXX'), currency: currency.toLowerCase() };
    }
    if (capture.status === 'DECLINED' || capture.status === 'FAILED') {
      return { kind: 'failed', eventId, intentId, orderId, code: capture.status, message: `PayPal capture ${capture.id} ${capture.status.toLowerCase()}` };
    }
    // PENDING (an eCheck, a review): PayPal sends PAYMENT.CAPTURE.COMPLETED once the money is there.
    return { kind: 'ignored', eventId, type: `capture ${capture.status}` };
  }

  private async call<T>(method: 'GET' | 'POST', path: string, options: { requestId?: string; body?: unknown } = {}): Promise<T> {
    return this.result<T>(await this.request(method, path, options));
  }

  /** PayPal's refusals (4xx) are the request's or the buyer's (422); anything else is an outage (503). */
  private result<T>({ status, body }: PayPalAnswer): T {
    if (status >= 200 && status < 300) return body as T;
    const fields = (body ?? {}) as { name?: string; message?: string; details?: { description?: string }[] };
    const text = `${[fields.name, issueOf({ status, body }), fields.details?.[0]?.description ?? fields.message].filter(Boolean).join(': ') || 'no details'} (HTTP ${status})`;
    if (status >= 400 && status < 500 && status !== 401 && status !== 429) throw new PaymentDeclinedError(`PayPal refused the request: ${text}`);
    throw new PaymentProviderUnavailableError(`PayPal is unavailable: ${text}`);
  }

  private async request(method: 'GET' | 'POST', path: string, options: { requestId?: string; body?: unknown }, retried = false): Promise<PayPalAnswer> {
    const token = await this.accessToken();
    const response = await this.send(`${this.apiBase}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        Prefer: 'return=representation',
        ...(options.requestId && { 'PayPal-Request-Id': options.requestId }),
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    if (response.status === 401 && !retried) {
      // Revoked or expired early: one fresh token, one more try.
      this.token = undefined;
      return this.request(method, path, options, true);
    }
    return { status: response.status, body: await this.readBody(response) };
  }

  /** One token request at a time; callers share it until shortly before it expires. */
  private accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return this.token.value;
    const requested = Date.now();
    const value = this.requestToken().then(
      ({ token, expiresIn }) => {
        if (this.token?.value === value) this.token.renewAt = requested + Math.max(0, expiresIn * 1000 - TOKEN_RENEW_MARGIN_MS);
        return token;
      },
      (error: unknown) => {
        if (this.token?.value === value) this.token = undefined;
        throw error;
      },
    );
    // Until PayPal answers, simultaneous callers wait for this request rather than send their own.
    this.token = { value, renewAt: Number.POSITIVE_INFINITY };
    return value;
  }

  private async requestToken(): Promise<{ token: string; expiresIn: number }> {
    const response = await this.send(`${this.apiBase}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await this.readBody(response)) as { access_token?: string; expires_in?: number } | undefined;
    if (!response.ok || !body?.access_token) {
      // Wrong credentials are an outage to the buyer: the shop cannot take PayPal payments now.
      this.logger.error(`PayPal refused the client credentials (HTTP ${response.status})`);
      throw new PaymentProviderUnavailableError('PayPal is unavailable: no access token');
    }
    return { token: body.access_token, expiresIn: Number(body.expires_in) || 0 };
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new PaymentProviderUnavailableError(`PayPal could not be reached: ${(error as Error).message}`);
    }
  }

  private async readBody(response: Response): Promise<unknown> {
    const text = await response.text().catch(() => '');
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return { message: text.slice(0, 200) };
    }
  }
}

/** The first of PayPal's `details[].issue` codes in an error answer (ORDER_NOT_APPROVED, …). */
function issueOf({ body }: PayPalAnswer): string | undefined {
  return (body as { details?: { issue?: string }[] } | undefined)?.details?.[0]?.issue;
}
