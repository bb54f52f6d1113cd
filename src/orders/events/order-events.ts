/**
 * Domain events of the order lifecycle, declared once. The transition table names the class; the
 * order's outbox records `{ eventId, type }` with `type` the class's static name (stored in order
 * documents and job payloads: renaming one needs a migration), written in the same atomic update
 * as the transition that causes it, then handed to the `orders` queue by the relay (orders/outbox).
 */
export class OrderPlaced {
  static readonly type = 'OrderPlaced';
}

export class OrderPaid {
  static readonly type = 'OrderPaid';
}

export class OrderShipped {
  static readonly type = 'OrderShipped';
}

export class OrderDelivered {
  static readonly type = 'OrderDelivered';
}

export class OrderCancelled {
  static readonly type = 'OrderCancelled';
}

/** The money of a cancelled order went back to the customer (the payment table, payment-state.ts). */
export class OrderRefunded {
  static readonly type = 'OrderRefunded';
}

export const ORDER_EVENTS = [OrderPlaced, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled, OrderRefunded] as const;
export type OrderEventClass = (typeof ORDER_EVENTS)[number];
export type OrderEventType = OrderEventClass['type'];

/** The payload of an `order-event` job on the `orders` queue (named in src/jobs/job.registry.ts). */
export interface OrderEventJob {
  orderId: string;
  eventId: string;
  type: OrderEventType;
}

/** The payload of a `webhook-fanout` job: an order event with its place among the order's events. */
export interface OrderWebhookJob extends OrderEventJob {
  /** 1, 2, … per order (OrderStore numbers events as it records them); 0 for events recorded before numbering. */
  sequence: number;
  /** When the event happened (ISO 8601). */
  at: string;
}

/** One fan-out per event, however often the relay and the sweeper hand it over. */
export function webhookFanoutJobId(orderId: string, eventId: string): string {
  return `webhook-fanout:${orderId}:${eventId}`;
}

/** Events whose effects OrderEffects does: each becomes an `order-effects` job. */
export const EVENTS_WITH_EFFECTS: readonly OrderEventType[] = ['OrderCancelled', 'OrderShipped'];

/**
 * Events the customer gets an email for: each becomes an `order-event` job. OrderRefunded has
 * none (the cancellation email already says the money goes back); it is recorded for the
 * webhooks, which get every event.
 */
export const EVENTS_WITH_EMAIL: readonly OrderEventType[] = ['OrderPlaced', 'OrderPaid', 'OrderShipped', 'OrderDelivered', 'OrderCancelled'];

/** The effects of an event (stock, refunds, the provider's payment), one job per event; see OrderEffects. */
export function orderEffectsJobId(orderId: string, eventId: string): string {
  return `order-effects:${orderId}:${eventId}`;
}

/** Deterministic, so a second hand-over of the same event (relay and sweeper racing) is a no-op. */
export function orderEventJobId(orderId: string, eventId: string): string {
  return `order-event:${orderId}:${eventId}`;
}
