import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError, StateConflictError } from '@app/common';
import { Promotion, PromotionCustomerUse } from './schemas/promotion.schema';

/** How often taking a use re-reads after an admin changed the promotion's limit meanwhile. */
const TAKE_ATTEMPTS = 3;

export interface PromotionHeld {
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
 * Promotion uses, taken like stock (ARCHITECTURE.md): one conditional `$inc` on the promotion
 * guarded by its `usageLimit`, and one on the customer's counter (`<promotionId>:<customer>`)
 * guarded by `perCustomerLimit`, so the limits hold under any number of simultaneous checkouts
 * in any number of processes, without transactions. Each counter lists the orders it counts:
 * taking is conditioned on the order being absent from the list and giving back on it being
 * present, so both are idempotent per order (a retried or repeated give-back changes nothing).
 */
@Injectable()
export class PromotionUses {
  constructor(
    @InjectModel(Promotion.name) private readonly promotions: Model<Promotion>,
    @InjectModel(PromotionCustomerUse.name) private readonly customerUses: Model<PromotionCustomerUse>,
  ) {}

  /** Takes one use of each promotion for the order, or none: what was taken is given back before the error. */
  async take(orderId: Types.ObjectId, held: PromotionHeld[], customer: string): Promise<void> {
    const taken: PromotionHeld[] = [];
    try {
      for (const promotion of held) {
        if (!(await this.takeOne(orderId, promotion.id, customer))) throw new PromotionUsedUpError(promotion);
        taken.push(promotion);
      }
    } catch (error) {
      await this.giveBack(orderId, taken, customer);
      throw error;
    }
  }

  /** Gives the order's uses back; a second call finds nothing to give. */
  async giveBack(orderId: Types.ObjectId, held: Pick<PromotionHeld, 'id'>[], customer: string): Promise<void> {
    await Promise.all(
      held.map(async ({ id }) => {
        await this.customerUses.updateOne({ _id: customerUseKey(id, customer), orders: orderId }, { $inc: { used: -1 }, $pull: { orders: orderId } });
        await this.promotions.updateOne({ _id: id, holders: orderId }, { $inc: { used: -1 }, $pull: { holders: orderId } });
      }),
    );
  }

  /**
   * The order shipped: its uses can no longer be given back, so the order leaves the lists (the
   * counts stay). Keeps `holders` to the orders still in flight instead of every order ever.
   */
  async settle(orderId: Types.ObjectId, held: Pick<PromotionHeld, 'id'>[], customer: string): Promise<void> {
    await Promise.all(
      held.map(async ({ id }) => {
        await this.customerUses.updateOne({ _id: customerUseKey(id, customer) }, { $pull: { orders: orderId } });
        await this.promotions.updateOne({ _id: id }, { $pull: { holders: orderId } });
      }),
    );
  }

  /** Customer's counter first, then the promotion's; a refused promotion gives the customer's back. */
  private async takeOne(orderId: Types.ObjectId, promotionId: string, customer: string): Promise<boolean> {
    for (let attempt = 0; attempt < TAKE_ATTEMPTS; attempt += 1) {
      const limits = await this.promotions.findById(promotionId, { usageLimit: 1, perCustomerLimit: 1 }).lean();
      if (!limits) return false;
      if (limits.perCustomerLimit !== undefined && limits.perCustomerLimit !== null) {
        if (!(await this.takeCustomerUse(orderId, promotionId, customer, limits.perCustomerLimit))) return false;
      }
      const limit = limits.usageLimit ?? undefined;
      const result = await this.promotions.updateOne(
        { _id: promotionId, holders: { $ne: orderId }, ...(limit === undefined ? { usageLimit: { $exists: false } } : { usageLimit: limit, used: { $lt: limit } }) },
        { $inc: { used: 1 }, $push: { holders: orderId } },
      );
      if (result.modifiedCount === 1) return true;
      await this.customerUses.updateOne({ _id: customerUseKey(promotionId, customer), orders: orderId }, { $inc: { used: -1 }, $pull: { orders: orderId } });
      const now = await this.promotions.findById(promotionId, { usageLimit: 1 }).lean();
      // Used up under the limit as read: refused. A limit changed meanwhile: read it again.
      if (!now || (now.usageLimit ?? undefined) === limit) return false;
    }
    return false;
  }

  /**
   * The customer's counter, created by the first use: an upsert guarded by the limit. Two first
   * uses racing both try to create it; the loser (E11000) tries again against the counter the
   * winner wrote, which is exactly as if it had come second.
   */
  private async takeCustomerUse(orderId: Types.ObjectId, promotionId: string, customer: string, limit: number): Promise<boolean> {
    const filter = { _id: customerUseKey(promotionId, customer), used: { $lt: limit }, orders: { $ne: orderId } };
    const update = { $inc: { used: 1 }, $push: { orders: orderId } };
    try {
      const result = await this.customerUses.updateOne(filter, update, { upsert: true });
      return result.modifiedCount === 1 || result.upsertedCount === 1;
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    return (await this.customerUses.updateOne(filter, update)).modifiedCount === 1;
  }
}

export function customerUseKey(promotionId: string, customer: string): string {
  return `${promotionId}:${customer}`;
}

/** The customer a perCustomerLimit counts: the account, or a guest's email lower-cased and trimmed. */
export function promotionCustomerOf(who: { userId: string } | { email: string }): string {
  return 'userId' in who ? `user:${who.userId}` : `email:${who.email.trim().toLowerCase()}`;
}
