/**
 * The event names an endpoint can subscribe to (API.md, "Outgoing webhooks and audit log").
 * Order events come from the order outbox, product events and `stock.low` from the product
 * outbox (ProductStore records them, ProductOutboxRelay hands them over).
 */
export const WEBHOOK_EVENTS = [
  'order.placed',
  'order.paid',
  'order.cancelled',
  'order.refunded',
  'order.shipped',
  'order.delivered',
  'product.created',
  'product.updated',
  'product.deleted',
  'stock.low',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
