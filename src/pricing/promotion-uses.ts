import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError, StateConflictError } from '@app/common';
import { Promotion, PromotionCustomerUse, PromotionUse } from './schemas/promotion.schema';

/** How often taking a use re-reads after an admin changed the promotion's limits meanwhile. */
const TAKE_ATTEMPTS = 3;

/** A promotion's limits as read; absent: none. */
export interface PromotionLimits {
  usageLimit?: number;
  perCustomerLimit?: number;
}

export interface PromotionHeld extends PromotionLimits {
  id: string;
  code?: string;
  name: string;
}

/** A checkout would exceed a promotion's usageLimit or perCustomerLimit (409 naming the code); nothing was kept. */
export class PromotionUsedUpError extends StateConflictError {
  constructor(promotion: PromotionHeld) {
    const label = promotion.code ?? promotion.name;
    super(`Promotion ${label} has no use left for this order`, { code: label, promotionId: promotion.id });
  }
}

/**
 * Promotion uses, taken like stock (ARCHITECTURE.md): one conditional `$inc` on the promotion's
 * `used` guarded by its `usageLimit`, and one on the customer's counter (`<promotionId>:<customer>`)
 * guarded by `perCustomerLimit`, so the limits hold under any number of simultaneous checkouts in
 * any number of processes, without transactions. Each use is then recorded as its own small
 * PromotionUse document keyed `<promotionId>:<orderId>`: a second take for the same order hits the
 * unique `_id` (and undoes its `$inc`), and only the give-back whose delete finds the record
 * decrements, so both are idempotent per order however often they are repeated or raced.
 *
 * The counters move first and the record is written after them; the record is deleted first and
 * the counters move after. A crash between the two writes therefore leaves a counter one too
 * HIGH (a use nobody holds, never given back), never too low: a limit can never be exceeded.
 *
 * Nothing here grows with the orders: the hot write of a checkout is one `$inc` on a small
 * promotion document (and one insert of a new small document), whatever the promotion's history.
 */
@Injectable()
export class PromotionUses {
  constructor(
    @InjectModel(Promotion.name) private readonly promotions: Model<Promotion>,
    @InjectModel(PromotionCustomerUse.name) private readonly customerUses: Model<PromotionCustomerUse>,
    @InjectModel(PromotionUse.name) private readonly uses: Model<PromotionUse>,
  ) {}

  /**
   * Takes one use of each promotion for the order, or none: what was taken is given back before
   * the error. The limits are those the quote read (no read here); a guard that fails because an
   * admin changed a limit meanwhile is retried against the new limits.
   */
  async take(orderId: Types.ObjectId, held: PromotionHeld[], customer: string): Promise<void> {
    const taken: PromotionHeld[] = [];
    try {
      for (const promotion of held) {
        const outcome = await this.takeOne(orderId, promotion, customer);
        if (outcome === 'refused') throw new PromotionUsedUpError(promotion);
        // One the order held already (a repeated take) is not this call's to give back.
        if (outcome === 'taken') taken.push(promotion);
      }
    } catch (error) {
      await this.giveBack(orderId, taken, customer);
      throw error;
    }
  }

  /** Gives the order's uses back; a second call (or a simultaneous one) finds nothing to give. */
  async giveBack(orderId: Types.ObjectId, held: Pick<PromotionHeld, 'id'>[], customer: string): Promise<void> {
    await Promise.all(
      held.map(async ({ id }) => {
        // The record first, then the counters: a crash between leaves them too high, never too low.
        const use = await this.uses.findOneAndDelete({ _id: useKey(id, orderId), settled: { $ne: true } }).lean<PromotionUse>();
        if (use) {
          await Promise.all([
            this.promotions.updateOne({ _id: id }, { $inc: { used: -1 } }),
            use.customer !== undefined && use.customer !== null ? this.customerUses.updateOne({ _id: customerUseKey(id, use.customer) }, { $inc: { used: -1 } }) : undefined,
          ]);
          return;
        }
        await this.giveBackListed(orderId, id, customer);
      }),
    );
  }

  /**
   * The order shipped: its uses are final and can no longer be given back (a shipped order is
   * never cancelled; this makes sure). The counts stay.
   */
  async settle(orderId: Types.ObjectId, held: Pick<PromotionHeld, 'id'>[], customer: string): Promise<void> {
    await Promise.all(
      held.map(async ({ id }) => {
        const result = await this.uses.updateOne({ _id: useKey(id, orderId) }, { $set: { settled: true } });
        if (result.matchedCount === 0) {
          // Held the legacy way: it leaves the lists, as before.
          await this.customerUses.updateOne({ _id: customerUseKey(id, customer), orders: orderId }, { $pull: { orders: orderId } });
          await this.promotions.updateOne({ _id: id, holders: orderId }, { $pull: { holders: orderId } });
        }
      }),
    );
  }

  /**
   * An order that took its use before uses were records (still in flight when this version
   * started): it is listed in the promotion's `holders` and the customer's `orders`. Giving back
   * is conditioned on being listed, as it was then, so it too happens once. Costs two round trips
   * only when no record was found (a repeated give-back), nothing on the checkout path.
   */
  private async giveBackListed(orderId: Types.ObjectId, promotionId: string, customer: string): Promise<void> {
    await this.customerUses.updateOne({ _id: customerUseKey(promotionId, customer), orders: orderId }, { $inc: { used: -1 }, $pull: { orders: orderId } });
    await this.promotions.updateOne({ _id: promotionId, holders: orderId }, { $inc: { used: -1 }, $pull: { holders: orderId } });
  }

  /**
   * The customer's counter (when limited), then the promotion's, then the record. The promotion's
   * guard names both limits as read, so a take can only succeed against the limits in force at
   * that instant: a perCustomerLimit lowered after the customer's counter was passed makes the
   * promotion's guard fail and the take start again with the new limits.
   */
  private async takeOne(orderId: Types.ObjectId, promotion: PromotionHeld, customer: string): Promise<'taken' | 'held' | 'refused'> {
    let limits: PromotionLimits = { usageLimit: promotion.usageLimit, perCustomerLimit: promotion.perCustomerLimit };
    for (let attempt = 0; attempt < TAKE_ATTEMPTS; attempt += 1) {
      const counted = limits.perCustomerLimit !== undefined;
      let taken = !counted || (await this.takeCustomerUse(promotion.id, customer, limits.perCustomerLimit!));
      if (taken) {
        const { usageLimit, perCustomerLimit } = limits;
        const result = await this.promotions.updateOne(
          {
            _id: promotion.id,
            ...(usageLimit === undefined ? { usageLimit: { $exists: false } } : { usageLimit, used: { $lt: usageLimit } }),
            perCustomerLimit: perCustomerLimit === undefined ? { $exists: false } : perCustomerLimit,
          },
          { $inc: { used: 1 } },
        );
        taken = result.modifiedCount === 1;
        if (!taken && counted) await this.customerUses.updateOne({ _id: customerUseKey(promotion.id, customer) }, { $inc: { used: -1 } });
      }
      if (taken) return this.record(orderId, promotion.id, counted ? customer : undefined);
      // Used up under the limits as read: refused. A limit changed meanwhile: try the new ones.
      const now = await this.limitsOf(promotion.id);
      if (!now || (now.usageLimit === limits.usageLimit && now.perCustomerLimit === limits.perCustomerLimit)) return 'refused';
      limits = now;
    }
    return 'refused';
  }

  /**
   * The use's record, after its counters. A record already there means this order holds the use
   * already (a repeated take): the counters just moved are moved back. Any other failure leaves
   * them as they are (the insert may have happened with its answer lost): too high, never too low.
   */
  private async record(orderId: Types.ObjectId, promotionId: string, customer: string | undefined): Promise<'taken' | 'held'> {
    try {
      await this.uses.create({ _id: useKey(promotionId, orderId), ...(customer !== undefined && { customer }), takenAt: new Date() });
      return 'taken';
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await Promise.all([
        this.promotions.updateOne({ _id: promotionId }, { $inc: { used: -1 } }),
        customer !== undefined ? this.customerUses.updateOne({ _id: customerUseKey(promotionId, customer) }, { $inc: { used: -1 } }) : undefined,
      ]);
      return 'held';
    }
  }

  private async limitsOf(promotionId: string): Promise<PromotionLimits | null> {
    const promotion = await this.promotions.findById(promotionId, { usageLimit: 1, perCustomerLimit: 1 }).lean();
    return promotion && limitsOf(promotion);
  }

  /**
   * The customer's counter, created by the first use: an upsert guarded by the limit. Two first
   * uses racing both try to create it; the loser (E11000) tries again against the counter the
   * winner wrote, which is exactly as if it had come second.
   */
  private async takeCustomerUse(promotionId: string, customer: string, limit: number): Promise<boolean> {
    const filter = { _id: customerUseKey(promotionId, customer), used: { $lt: limit } };
    const update = { $inc: { used: 1 } };
    try {
      const result = await this.customerUses.updateOne(filter, update, { upsert: true });
      return result.modifiedCount === 1 || result.upsertedCount === 1;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return (await this.customerUses.updateOne(filter, update)).modifiedCount === 1;
  }
}

/** A promotion's limits as the take guards them (absent: none; the API never stores a null). */
export function limitsOf(promotion: { usageLimit?: number | null; perCustomerLimit?: number | null }): PromotionLimits {
  return {
    ...(promotion.usageLimit !== undefined && promotion.usageLimit !== null && { usageLimit: promotion.usageLimit }),
    ...(promotion.perCustomerLimit !== undefined && promotion.perCustomerLimit !== null && { perCustomerLimit: promotion.perCustomerLimit }),
  };
}

export function customerUseKey(promotionId: string, customer: string): string {
  return `${promotionId}:${customer}`;
}

/** The `_id` of an order's use of a promotion. */
export function useKey(promotionId: string, orderId: Types.ObjectId): string {
  return `${promotionId}:${orderId.toHexString()}`;
}

/** The customer a perCustomerLimit counts: the account, or a guest's email lower-cased and trimmed. */
export function promotionCustomerOf(who: { userId: string } | { email: string }): string {
  return 'userId' in who ? `user:${who.userId}` : `email:${who.email.trim().toLowerCase()}`;
}
