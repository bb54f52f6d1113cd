import { NotAllowedError, StateConflictError } from '@app/common';

/** Only customers who received the product may review it (403). */
export class NotVerifiedBuyerError extends NotAllowedError {
  constructor() {
    super('Only customers with a delivered order containing this product may review it');
  }
}

export class ReviewExistsError extends StateConflictError {
  constructor() {
    super('You have already reviewed this product; edit your review instead');
  }
}
