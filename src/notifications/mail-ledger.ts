import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '@app/common';
import { EmailRecord } from './schemas/email-record.schema';

export type Claim =
  | { outcome: 'claimed'; claimId: string }
  | { outcome: 'already-sent' }
  /** Another worker holds a fresh claim: it may be sending right now. */
  | { outcome: 'in-progress'; staleAt: Date };

/**
 * Exactly-once bookkeeping in MongoDB, so it survives a Redis restart and holds between any
 * number of workers: every decision is one atomic write on the key's unique record.
 */
@Injectable()
export class MailLedger {
  constructor(@InjectModel(EmailRecord.name) private readonly records: Model<EmailRecord>) {}

  /**
   * Claims the key for sending: an insert that the unique index lets only one caller win. A
   * `sending` claim older than `staleAfterMs` belonged to a worker that died mid-send (no send
   * takes that long); it is taken over by a conditional update on its old claim id, which again
   * only one caller wins.
   */
  async claim(key: string, staleAfterMs: number): Promise<Claim> {
    for (;;) {
      const claimId = randomUUID();
      const now = new Date();
      try {
        await this.records.create({ key, status: 'sending', claimId, claimedAt: now });
        return { outcome: 'claimed', claimId };
      } catch (error) {
        if (!isDuplicateKeyError(error, 'key')) throw error;
      }
      const existing = await this.records.findOne({ key }).lean();
      if (!existing) continue; // released by a failed send in between: try the insert again
      if (existing.status === 'sent') return { outcome: 'already-sent' };
      const staleAt = new Date(existing.claimedAt.getTime() + staleAfterMs);
      if (staleAt > now) return { outcome: 'in-progress', staleAt };
      const takeover = await this.records.updateOne(
        { key, status: 'sending', claimId: existing.claimId },
        { $set: { claimId, claimedAt: now }, $inc: { takeovers: 1 } },
      );
      if (takeover.modifiedCount === 1) return { outcome: 'claimed', claimId };
      // Someone else took it over or finished it first: look again.
    }
  }

  /** Records the send. False when the claim was taken over meanwhile (the send took too long). */
  async markSent(key: string, claimId: string): Promise<boolean> {
    const result = await this.records.updateOne({ key, claimId, status: 'sending' }, { $set: { status: 'sent', sentAt: new Date() } });
    return result.modifiedCount === 1;
  }

  /** Gives the key back after a failed send, so the retry does not wait for the claim to go stale. */
  async release(key: string, claimId: string): Promise<void> {
    await this.records.deleteOne({ key, claimId, status: 'sending' });
  }
}
