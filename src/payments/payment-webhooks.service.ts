import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Claims } from '@app/common';
import { OrderLifecycle, PaymentOutcome } from '../orders/order-lifecycle.service';
import { PaymentProviders } from '../payment-providers/payment-providers';
import { InvalidWebhookError } from '../payment-providers/payment-providers.errors';
import { PaymentEventRecord } from './schemas/payment-event-record.schema';

/** A claim this old whose holder never finished (a crash) may be taken over by a redelivery. */
const STALE_CLAIM_MS = 5 * 60_000;

export type WebhookOutcome = PaymentOutcome | 'already-applied';

/**
 * Verified webhook events, each applied once: the event's record is inserted before anything is
 * done (a unique key, not a read then a write), so of three simultaneous deliveries one applies
 * it and two answer 200 at once. If applying fails, the record is removed and the error answered
 * with 5xx, so the provider's next delivery applies it.
 */
@Injectable()
export class PaymentWebhooksService {
  private readonly claims: Claims;

  constructor(
    @InjectModel(PaymentEventRecord.name) records: Model<PaymentEventRecord>,
    private readonly payments: PaymentProviders,
    private readonly lifecycle: OrderLifecycle,
  ) {
    this.claims = new Claims(records, { key: '_id', state: 'state', claimed: 'processing', done: 'done' });
  }

  async handle(providerName: string, rawBody: Buffer | undefined, headers: Record<string, string | string[] | undefined>): Promise<WebhookOutcome> {
    if (!rawBody || rawBody.length === 0) throw new InvalidWebhookError('Empty webhook body');
    const event = await this.payments.get(providerName).parseWebhook(rawBody, headers);
    const key = `${providerName}:${event.eventId}`;
    const claim = await this.claims.claim(key, STALE_CLAIM_MS, { kind: event.kind, receivedAt: new Date() });
    // A delivery being applied right now answers 200 too: the provider need not send it again.
    if (claim.outcome !== 'claimed') return 'already-applied';
    try {
      const outcome = await this.lifecycle.applyPaymentEvent(event);
      await this.claims.finish(key, claim.claimId, { outcome });
      return outcome;
    } catch (error) {
      // Only this delivery's own claim: a slow delivery must not delete the claim of one that took over.
      await this.claims.release(key, claim.claimId);
      throw error;
    }
  }
}
