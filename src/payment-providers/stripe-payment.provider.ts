import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '../config/app-config';
import { CancelIntentRequest, CreatedIntent, CreateIntentRequest, PaymentEvent, PaymentProvider, RefundRequest } from './payment-provider';
import { InvalidWebhookError, PaymentDeclinedError, PaymentProviderUnavailableError } from './payment-providers.errors';

/**
 * Stripe through its SDK. Locally STRIPE_API_URL points it at stripe-mock, in production it is
 * unset: configuration only, the code is the same.
 */
@Injectable()
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(config: AppConfig) {
    const apiUrl = config.get('STRIPE_API_URL');
    const endpoint = apiUrl ? new URL(apiUrl) : undefined;
    this.stripe = new Stripe(config.get('STRIPE_SECRET_KEY'), {
      maxNetworkRetries: 2,
      timeout: 10_000,
      ...(endpoint && {
        host: endpoint.hostname,
        port: endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80),
        protocol: endpoint.protocol === 'https:' ? 'https' : 'http',
      }),
    });
    this.webhookSecret = config.get('STRIPE_WEBHOOK_SECRET');
  }

  async createIntent(request: CreateIntentRequest): Promise<CreatedIntent> {
    const intent = await this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency,
          metadata: { orderId: request.orderId, orderNumber: request.orderNumber },
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
    if (!intent.client_secret) throw new PaymentProviderUnavailableError('Stripe returned a payment intent without a client secret');
    return { intentId: intent.id, clientSecret: intent.client_secret };
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    const refund = await this.call(() =>
      this.stripe.refunds.create({ payment_intent: request.intentId, amount: request.amount }, { idempotencyKey: request.idempotencyKey }),
    );
    return { refundId: refund.id };
  }

  /** A PaymentIntent that succeeded or was cancelled before is refused by Stripe: nothing left to cancel. */
  async cancelIntent(request: CancelIntentRequest): Promise<'cancelled' | 'not-cancellable'> {
    try {
      await this.stripe.paymentIntents.cancel(request.intentId, {}, { idempotencyKey: request.idempotencyKey });
      return 'cancelled';
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_intent_unexpected_state') return 'not-cancellable';
      throw new PaymentProviderUnavailableError(`The payment provider is unavailable: ${(error as Error).message}`);
    }
  }

  async parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<PaymentEvent> {
    const signature = headers['stripe-signature'];
    if (typeof signature !== 'string' || signature.length === 0) throw new InvalidWebhookError('Missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = await this.stripe.webhooks.constructEventAsync(rawBody, signature, this.webhookSecret);
    } catch (error) {
      throw new InvalidWebhookError(`Invalid webhook: ${(error as Error).message}`);
    }
    if (event.type === 'payment_intent.succeeded') {
      const intent = event.data.object;
      return {
        kind: 'succeeded',
        eventId: event.id,
        intentId: intent.id,
        orderId: intent.metadata?.orderId,
        amount: intent.amount_received || intent.amount,
        currency: intent.currency,
      };
    }
    if (event.type === 'payment_intent.payment_failed') {
      const intent = event.data.object;
      return {
        kind: 'failed',
        eventId: event.id,
        intentId: intent.id,
        orderId: intent.metadata?.orderId,
        code: intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code,
        message: intent.last_payment_error?.message,
      };
    }
    return { kind: 'ignored', eventId: event.id, type: event.type };
  }

  /** Stripe's refusals are the client's or the card's (422); anything else is an outage (503). */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError || error instanceof Stripe.errors.StripeInvalidRequestError) {
        throw new PaymentDeclinedError(`Payment refused: ${error.message}`);
      }
      throw new PaymentProviderUnavailableError(`The payment provider is unavailable: ${(error as Error).message}`);
    }
  }
}
