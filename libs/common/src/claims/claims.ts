import type { Model, mongo } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { TurnBatchedWrites } from '../turn/turn-batched-writes';

/** Where a claims collection keeps the key and the claim's state (existing collections differ). */
export interface ClaimShape {
  /** `_id`, or a field with a unique index. */
  key: string;
  /** The field holding the state, and its value while claimed and once done. */
  state: string;
  claimed: string;
  done: string;
}

export type ClaimOutcome =
  | { outcome: 'claimed'; claimId: string }
  | { outcome: 'done' }
  /** Someone holds a fresh claim: they may be doing the work right now. */
  | { outcome: 'in-progress'; staleAt: Date };

interface ClaimRecord {
  claimId?: string;
  claimedAt?: Date;
}

/**
 * "Do this once" across any number of processes and crashes, kept in MongoDB: every decision is
 * one atomic write on the key's unique record. A claim carries a random id, so only its holder
 * can finish or release it; a claim older than `staleAfterMs` belonged to a holder that died
 * (no piece of work takes that long) and is taken over by a write conditional on its old id.
 * A holder that was merely slow then finds its finish or release refused instead of undoing the
 * new holder's claim.
 *
 * The collection's schema declares `claimId`, `claimedAt` and `takeovers` beside its own fields.
 */
export class Claims {
  /** New claims written through the driver, those of one turn together (see the constructor). */
  private readonly batchedInserts?: TurnBatchedWrites<Record<string, unknown>>;
  /** The schema's version key, which a batched insert sets as `create` would (none when disabled). */
  private readonly versionKey?: string;

  /**
   * `batchInserts`: new claims are written as the schema would write them (its casts, defaults,
   * timestamps and version key) but without its validators, through the driver, the claims of one
   * turn in one insert (TurnBatchedWrites; each duplicate still refused alone). Only for a
   * collection whose records hold nothing but what this helper writes, all of it valid by
   * construction (the claim's fields; no `insertFields` the schema must check).
   */
  constructor(
    private readonly records: Model<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any collection with the claim fields
    private readonly shape: ClaimShape,
    options: { batchInserts?: boolean } = {},
  ) {
    if (!options.batchInserts) return;
    this.batchedInserts = new TurnBatchedWrites(records.collection as unknown as mongo.Collection<Record<string, unknown>>);
    const versionKey = records.schema.get('versionKey');
    if (typeof versionKey === 'string') this.versionKey = versionKey;
  }

  /** `insertFields` are written only by the insert that creates the record (e.g. when it was received). */
  async claim(key: string, staleAfterMs: number, insertFields: Record<string, unknown> = {}): Promise<ClaimOutcome> {
    const { state, claimed, done } = this.shape;
    for (;;) {
      const claimId = randomUUID();
      const now = new Date();
      try {
        await this.insert({ ...insertFields, [this.shape.key]: key, [state]: claimed, claimId, claimedAt: now });
        return { outcome: 'claimed', claimId };
      } catch (error) {
        if (!isDuplicateKeyError(error, this.shape.key === '_id' ? undefined : this.shape.key)) throw error;
      }
      const existing = await this.records.findOne(this.byKey(key)).lean<Record<string, unknown> & ClaimRecord>();
      if (!existing) continue; // released in between: try the insert again
      if (existing[state] === done) return { outcome: 'done' };
      // A record written before claims carried their time counts as stale.
      const staleAt = new Date((existing.claimedAt?.getTime() ?? 0) + staleAfterMs);
      if (staleAt > now) return { outcome: 'in-progress', staleAt };
      const takeover = await this.records.updateOne(
        { ...this.byKey(key), [state]: claimed, claimId: existing.claimId ?? null },
        { $set: { claimId, claimedAt: now }, $inc: { takeovers: 1 } },
      );
      if (takeover.modifiedCount === 1) return { outcome: 'claimed', claimId };
      // Someone else took it over or finished it first: look again.
    }
  }

  private async insert(fields: Record<string, unknown>): Promise<void> {
    if (!this.batchedInserts) {
      await this.records.create(fields);
      return;
    }
    const record = this.records.applyTimestamps(this.records.applyDefaults(this.records.castObject(fields))) as Record<string, unknown>;
    await this.batchedInserts.insert(this.versionKey ? { ...record, [this.versionKey]: 0 } : record);
  }

  /** Marks the work done. False when the claim was taken over meanwhile (the holder was too slow). */
  async finish(key: string, claimId: string, fields: Record<string, unknown> = {}): Promise<boolean> {
    const result = await this.records.updateOne(this.held(key, claimId), { $set: { ...fields, [this.shape.state]: this.shape.done } });
    return result.modifiedCount === 1;
  }

  /**
   * Gives the key back after failed work, so a retry need not wait for the claim to go stale.
   * Only the holder's own claim: after a takeover this removes nothing.
   */
  async release(key: string, claimId: string): Promise<boolean> {
    const result = await this.records.deleteOne(this.held(key, claimId));
    return result.deletedCount === 1;
  }

  private byKey(key: string): Record<string, string> {
    return { [this.shape.key]: key };
  }

  private held(key: string, claimId: string): Record<string, string> {
    return { ...this.byKey(key), [this.shape.state]: this.shape.claimed, claimId };
  }
}
