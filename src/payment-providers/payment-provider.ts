/** Every provider the code knows; each is offered at checkout only when it is configured. */
export const PAYMENT_PROVIDER_NAMES = ['stripe', 'paypal'] as const;

/**
 * What the shop needs from a payment provider: create a payment for an order, refund it, and
 * turn a webhook delivery into a verified event. Stripe is the first implementation; PayPal is
 * one more class registered in PaymentProvidersModule. The order, not the provider, is the source of
 * truth for amounts and state: events are checked against it before they change anything.
 */
export interface PaymentProvider {
  /** The name stored on orders and accepted as `paymentProvider` at checkout. */
  readonly name: string;
  createIntent(request: CreateIntentRequest): Promise<CreatedIntent>;
  /**
   * Collects a payment the buyer approved on the provider's site (PayPal's capture). Providers
   * whose payments complete on their own (Stripe) have none. Idempotent per `idempotencyKey`;
   * the result is applied like a webhook event, so a capture reported by both paths is one.
   */
  capture?(request: CaptureRequest): Promise<PaymentEvent>;
  refund(request: RefundRequest): Promise<{ refundId: string }>;
  /**
   * Makes an unpaid payment unpayable (the order was cancelled or expired). `not-cancellable`
   * when the provider says it is paid or already closed: a payment that did arrive is refunded
   * by the payment event's path.
   */
  cancelIntent(request: CancelIntentRequest): Promise<'cancelled' | 'not-cancellable' | 'expires'>;
  /** Verifies the signature and parses the event; throws InvalidWebhookError when either fails. */
  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<PaymentEvent>;
}

export interface CreateIntentRequest {
  orderId: string;
  orderNumber: string;
  amount: number;
  currency: string;
  /** Derived from the order, so a retried creation never makes a second payment. */
  idempotencyKey: string;
}

/** What the customer's browser needs to pay: a client secret (Stripe) or an approval link (PayPal). */
export interface CreatedIntent {
  intentId: string;
  /** Handed to the customer's browser to confirm the payment there. */
  clientSecret?: string;
  /** Where the buyer approves the payment; the shop then captures it. */
  approvalUrl?: string;
}

export interface CaptureRequest {
  intentId: string;
  idempotencyKey: string;
}

export interface CancelIntentRequest {
  intentId: string;
  idempotencyKey: string;
}

export interface RefundRequest {
  intentId: string;
  amount: number;
  idempotencyKey: string;
}

/** A verified webhook event, reduced to what the order lifecycle reacts to. */
export type PaymentEvent =
  | { kind: 'succeeded'; eventId: string; intentId: string; orderId?: string; amount: number; currency: string }
  | { kind: 'failed'; eventId: string; intentId: string; orderId?: string; code?: string; message?: string }
  | { kind: 'ignored'; eventId: string; type: string };

export const PAYMENT_PROVIDERS = Symbol('PAYMENT_PROVIDERS');
