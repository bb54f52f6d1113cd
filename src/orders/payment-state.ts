import { OrderEventClass, OrderRefunded } from './events/order-events';
import type { PaymentStatus } from './schemas/order.schema';

/**
 * The payment's own states beside the order's (order-state.ts), in one table. The order's status
 * says what happens to the goods, `payment.status` what happened to the money; OrderStore checks
 * each payment write against this table in its filter, so a step missing here matches nothing.
 *
 * A refund can follow a payment that never moved the order to `paid`: money that arrived after
 * the order was cancelled is refunded at once.
 */
export interface PaymentTransition {
  from: readonly PaymentStatus[];
  to: PaymentStatus;
  /** The order event recorded in the outbox with this step, if any. */
  event?: OrderEventClass;
}

export const PAYMENT_TRANSITIONS: readonly PaymentTransition[] = [
  { from: ['requires_payment', 'failed'], to: 'failed' },
  { from: ['requires_payment', 'failed'], to: 'succeeded' },
  { from: ['requires_payment', 'failed', 'succeeded'], to: 'refund_pending' },
  { from: ['refund_pending'], to: 'refunded', event: OrderRefunded },
];

/** The step to `to`; throws for a state the table cannot reach (a programming error). */
export function paymentStepTo(to: PaymentStatus): PaymentTransition {
  const step = PAYMENT_TRANSITIONS.find((candidate) => candidate.to === to);
  if (!step) throw new Error(`No payment transition leads to "${to}"`);
  return step;
}

/** Payment states that hold money the shop must give back when the order is cancelled. */
export const MONEY_HELD: readonly PaymentStatus[] = ['succeeded', 'refund_pending'];
