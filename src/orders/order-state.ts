import { OrderCancelled, OrderDelivered, OrderEventClass, OrderPaid, OrderPlaced, OrderShipped } from './events/order-events';

/**
 * The order lifecycle in one table (API.md, "States"). Every status change goes through
 * OrderLifecycle.transition() (order-lifecycle.service.ts), which looks the step up here and
 * applies it as one conditional update on the current status; a step missing here is an
 * IllegalTransitionError (409).
 *
 * `placing` is internal: the order exists while checkout allocates stock and creates the payment
 * intent, and is invisible to every read until it becomes `pending_payment` (OrderPlaced).
 */
export const ORDER_STATUSES = ['placing', 'pending_payment', 'paid', 'processing', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** What clients can see and filter by. */
export const VISIBLE_ORDER_STATUSES = ORDER_STATUSES.filter((status) => status !== 'placing') as Exclude<OrderStatus, 'placing'>[];
export type VisibleOrderStatus = Exclude<OrderStatus, 'placing'>;

/** Who asks for a transition: each step says who may take it. */
export type OrderActor = 'checkout' | 'customer' | 'admin' | 'payment' | 'expiry';

export interface OrderTransition {
  from: OrderStatus;
  to: OrderStatus;
  by: readonly OrderActor[];
  /** The domain event this step records in the outbox, if any. */
  event?: OrderEventClass;
}

export const ORDER_TRANSITIONS: readonly OrderTransition[] = [
  { from: 'placing', to: 'pending_payment', by: ['checkout'], event: OrderPlaced },
  { from: 'pending_payment', to: 'paid', by: ['payment'], event: OrderPaid },
  { from: 'pending_payment', to: 'cancelled', by: ['customer', 'admin', 'expiry'], event: OrderCancelled },
  { from: 'paid', to: 'processing', by: ['admin'] },
  { from: 'paid', to: 'cancelled', by: ['customer', 'admin'], event: OrderCancelled },
  { from: 'processing', to: 'shipped', by: ['admin'], event: OrderShipped },
  { from: 'processing', to: 'cancelled', by: ['admin'], event: OrderCancelled },
  { from: 'shipped', to: 'delivered', by: ['admin'], event: OrderDelivered },
];

/** The step from `from` to `to` that `actor` may take, or undefined when the table has none. */
export function findTransition(from: OrderStatus, to: OrderStatus, actor: OrderActor): OrderTransition | undefined {
  return ORDER_TRANSITIONS.find((step) => step.from === from && step.to === to && step.by.includes(actor));
}

/** Statuses an order can leave `from`, for any actor (used in error messages and checks). */
export function nextStatuses(from: OrderStatus): OrderStatus[] {
  return ORDER_TRANSITIONS.filter((step) => step.from === from).map((step) => step.to);
}
