import { InvalidInputError, LimitReachedError, StateConflictError, RuleViolationError } from '@app/common';
import type { OrderStatus } from './order-state';

/** The state table has no such step for this actor (409). */
export class IllegalTransitionError extends StateConflictError {
  constructor(from: OrderStatus, to: OrderStatus) {
    super(`An order cannot go from ${from} to ${to}`, { from, to });
  }
}

export class EmptyCartError extends InvalidInputError {
  constructor() {
    super('The cart is empty');
  }
}

/** The same Idempotency-Key was used for a different checkout (422, as Stripe does). */
export class IdempotencyKeyReusedError extends RuleViolationError {
  constructor() {
    super('This Idempotency-Key was already used for a different checkout');
  }
}

/** A checkout with this key is still being placed by another request; retry shortly (409). */
export class CheckoutInProgressError extends StateConflictError {
  constructor() {
    super('A checkout with this Idempotency-Key is still in progress; retry shortly');
  }
}

/** The customer already holds MAX_UNPAID_ORDERS unpaid orders (429; nothing was taken). */
export class TooManyUnpaidOrdersError extends LimitReachedError {
  constructor(maxUnpaidOrders: number, retryAfterSeconds: number) {
    super(
      `You have ${maxUnpaidOrders} unpaid order${maxUnpaidOrders === 1 ? '' : 's'}: pay or cancel one before checking out again`,
      retryAfterSeconds,
    );
  }
}
