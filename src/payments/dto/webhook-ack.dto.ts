/** The answer to a provider's webhook delivery (Stripe and PayPal alike). */
export class WebhookAckDto {
  received!: boolean;
  /** What the event did: `paid`, `refunded`, `recorded`, `rejected`, `duplicate`, `already-applied`, `ignored`, `unknown-order`. */
  outcome!: string;
}
