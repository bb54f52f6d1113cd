/**
 * The event names an endpoint can subscribe to (API.md, "Outgoing webhooks and audit log").
 * Order events are sent now; product events and `stock.low` are accepted in subscriptions as the
 * contract names them and start arriving with the slices that produce them.
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
