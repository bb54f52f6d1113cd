import { Logger } from '@nestjs/common';
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

const logger = new Logger('PaymentProvider');

/**
 * The payment provider could not be reached or answered nonsense: 503, try again. The answer
 * says only that; what went wrong (the provider's own error text, which may name its internals
 * or our account) is logged.
 */
export class PaymentProviderUnavailableError extends DependencyUnavailableError {
  constructor(readonly detail: string) {
    super('The payment provider is unavailable; try again shortly');
    logger.warn(detail);
  }
}
