import { BadRequestError, ServiceUnavailableError, UnprocessableEntityError } from '@app/common';

/** A webhook whose signature does not verify, or whose body is not an event (400, nothing done). */
export class InvalidWebhookError extends BadRequestError {}

/** Checkout asked for a provider this deployment has not configured (400). */
export class UnknownPaymentProviderError extends BadRequestError {
  constructor(name: string) {
    super(`Payment provider "${name}" is not configured`);
  }
}

/** The payment provider refused the request (a declined card, an invalid amount): 422. */
export class PaymentDeclinedError extends UnprocessableEntityError {}

/** The payment provider could not be reached or answered nonsense: 503, try again. */
export class PaymentProviderUnavailableError extends ServiceUnavailableError {}
