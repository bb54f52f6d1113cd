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

export const ORDER_EVENTS = [OrderPlaced, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled] as const;
export type OrderEventClass = (typeof ORDER_EVENTS)[number];
export type OrderEventType = OrderEventClass['type'];

/** The payload of an `order-event` job on the `orders` queue (named in src/jobs/job.registry.ts). */
export interface OrderEventJob {
  orderId: string;
  eventId: string;
  type: OrderEventType;
}

/** Deterministic, so a second hand-over of the same event (relay and sweeper racing) is a no-op. */
export function orderEventJobId(orderId: string, eventId: string): string {
  return `order-event:${orderId}:${eventId}`;
}
