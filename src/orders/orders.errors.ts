import { BadRequestError, ConflictError, UnprocessableEntityError } from '@app/common';
import type { OrderStatus } from './order-state';

/** A line that cannot be had in the quantity asked for. */
export interface ShortLine {
  productId: string;
  requested: number;
  /** Sellable units right now (0 for a product that is archived or gone). */
  available: number;
}

/** Checkout could not allocate every line; nothing was taken (409, `lines` names the short ones). */
export class OutOfStockError extends ConflictError {
  constructor(readonly lines: ShortLine[]) {
    super(`Not enough stock for ${lines.length} line${lines.length === 1 ? '' : 's'}`, { lines });
  }
}

/** A cart change asks for more than is sellable (409 with the available quantity). */
export class InsufficientStockError extends ConflictError {
  constructor(
    readonly productId: string,
    readonly available: number,
  ) {
    super(`Only ${available} left in stock`, { productId, available });
  }
}

/** The state table has no such step for this actor (409). */
export class IllegalTransitionError extends ConflictError {
  constructor(from: OrderStatus, to: OrderStatus) {
    super(`An order cannot go from ${from} to ${to}`, { from, to });
  }
}

export class EmptyCartError extends BadRequestError {
  constructor() {
    super('The cart is empty');
  }
}

/** Lines flagged in the cart (archived, out of stock, over the stock) must be changed first. */
export class CartNotReadyError extends ConflictError {
  constructor(readonly lines: ShortLine[]) {
    super('Some cart lines are no longer available; change them before checking out', { lines });
  }
}

/** The same Idempotency-Key was used for a different checkout (422, as Stripe does). */
export class IdempotencyKeyReusedError extends UnprocessableEntityError {
  constructor() {
    super('This Idempotency-Key was already used for a different checkout');
  }
}

/** A checkout with this key is still being placed by another request; retry shortly (409). */
export class CheckoutInProgressError extends ConflictError {
  constructor() {
    super('A checkout with this Idempotency-Key is still in progress; retry shortly');
  }
}
