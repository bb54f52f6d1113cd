import { InvalidInputError, DependencyUnavailableError, RuleViolationError } from '@app/common';

/** A webhook whose signature does not verify, or whose body is not an event (400, nothing done). */
export class InvalidWebhookError extends InvalidInputError {}

/** Checkout asked for a provider this deployment has not configured (400). */
export class UnknownPaymentProviderError extends InvalidInputError {
  constructor(name: string) {
    super(`Payment provider "${name}" is not configured`);
  }
}

/** The payment provider refused the request (a declined card, an invalid amount): 422. */
export class PaymentDeclinedError extends RuleViolationError {}

/** The payment provider could not be reached or answered nonsense: 503, try again. */
export class PaymentProviderUnavailableError extends DependencyUnavailableError {}
