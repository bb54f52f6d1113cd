import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '@app/common';
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
  constructor(
    @InjectModel(PaymentEventRecord.name) private readonly records: Model<PaymentEventRecord>,
    private readonly payments: PaymentProviders,
    private readonly lifecycle: OrderLifecycle,
  ) {}

  async handle(providerName: string, rawBody: Buffer | undefined, headers: Record<string, string | string[] | undefined>): Promise<WebhookOutcome> {
    if (!rawBody || rawBody.length === 0) throw new InvalidWebhookError('Empty webhook body');
    const event = await this.payments.get(providerName).parseWebhook(rawBody, headers);
    const key = `${providerName}:${event.eventId}`;
    if (!(await this.claim(key, event.kind))) return 'already-applied';
    try {
      const outcome = await this.lifecycle.applyPaymentEvent(event);
      await this.records.updateOne({ _id: key }, { $set: { state: 'done', outcome } });
      return outcome;
    } catch (error) {
      await this.records.deleteOne({ _id: key, state: 'processing' });
      throw error;
    }
  }

  private async claim(key: string, kind: string): Promise<boolean> {
    const receivedAt = new Date();
    try {
      await this.records.create({ _id: key, state: 'processing', kind, receivedAt });
      return true;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await this.records.findById(key).lean();
    if (!existing || existing.state === 'done' || existing.receivedAt.getTime() > receivedAt.getTime() - STALE_CLAIM_MS) return false;
    const takenOver = await this.records.updateOne({ _id: key, state: 'processing', receivedAt: existing.receivedAt }, { $set: { receivedAt } });
    return takenOver.modifiedCount === 1;
  }
}
