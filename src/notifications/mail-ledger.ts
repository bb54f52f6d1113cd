import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { Claims, isDuplicateKeyError } from '@app/common';
import { EmailRecord } from './schemas/email-record.schema';

export type Claim =
  | { outcome: 'claimed'; claimId: string }
  | { outcome: 'already-sent' }
  /** Another worker holds a fresh claim: it may be sending right now. */
  | { outcome: 'in-progress'; staleAt: Date };

/**
 * Exactly-once bookkeeping of outgoing email in MongoDB, so it survives a Redis restart and holds
 * between any number of workers: a key is claimed as `sending` before the SMTP call (taken over
 * when a worker died mid-send) and marked `sent` after it, through the shared claim helper.
 */
@Injectable()
export class MailLedger {
  private readonly claims: Claims;

  constructor(@InjectModel(EmailRecord.name) private readonly records: Model<EmailRecord>) {
    this.claims = new Claims(records, { key: 'key', state: 'status', claimed: 'sending', done: 'sent' });
  }

  async claim(key: string, staleAfterMs: number): Promise<Claim> {
    const claim = await this.claims.claim(key, staleAfterMs);
    return claim.outcome === 'done' ? { outcome: 'already-sent' } : claim;
  }

  /** Records the send. False when the claim was taken over meanwhile (the send took too long). */
  markSent(key: string, claimId: string): Promise<boolean> {
    return this.claims.finish(key, claimId, { sentAt: new Date() });
  }

  /**
   * Records that the email of `key` was held back, once however often its job runs. Under its
   * own key (`skipped:<key>`): a skip is no claim, so it can never block a later send of the key.
   */
  async recordSkipped(key: string, reason: string): Promise<void> {
    const now = new Date();
    try {
      await this.records.updateOne(
        { key: `skipped:${key}` },
        { $setOnInsert: { status: 'skipped', skipReason: reason, claimId: 'skipped', claimedAt: now } },
        { upsert: true },
      );
    } catch (error) {
      // Two runs of the job upserted at once: the other one recorded it.
      if (!isDuplicateKeyError(error, 'key')) throw error;
    }
  }

  /** Gives the key back after a failed send, so the retry does not wait for the claim to go stale. */
  async release(key: string, claimId: string): Promise<void> {
    await this.claims.release(key, claimId);
  }
}
