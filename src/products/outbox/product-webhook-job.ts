import type { ProductEventType } from '../schemas/product.schema';

// Types and ids only, nothing that imports the job registry: the registry names these payloads.

/** The payload of a product event's `webhook-fanout` job. */
export interface ProductWebhookJob {
  productId: string;
  eventId: string;
  type: ProductEventType;
  /** 1, 2, … per product, in the order the writes recording the events happened. */
  sequence: number;
  /** When the event happened (ISO 8601). */
  at: string;
  /** `stock.low`: the variant and its sellable stock right after the crossing. */
  variantId?: string;
  stock?: number;
}

/** Deterministic: the relay after the write and the sweeper racing it queue one job. */
export function productFanoutJobId(productId: string, eventId: string): string {
  return `webhook-fanout:product:${productId}:${eventId}`;
}
