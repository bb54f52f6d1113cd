import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import type { NumberedMovement } from '../products.store';
import { StockMovementRecord } from './stock-movement-record.schema';

/** MongoDB's duplicate key error: the movement with that `_id` was copied before. */
const DUPLICATE_KEY = 11000;

/** A page of a product's movements: the newest `limit` (all when unset) with `sequence` below `before` (any when unset). */
export interface MovementPage {
  limit?: number;
  before?: number;
}

/**
 * The only writer of `stock_movements` (ARCHITECTURE.md: one owner per collection): the relay
 * copies buffered movements here by `_id`, readers read a product's movements newest first.
 */
@Injectable()
export class StockMovementStore {
  constructor(@InjectModel(StockMovementRecord.name) private readonly model: Model<StockMovementRecord>) {}

  /**
   * Copies the movements, each under its own `_id`; a movement already here (copied by another
   * relay, or by a pass that crashed before pulling it from the buffer) is left as it is.
   * Unordered: one duplicate does not stop the others. Returns how many were new.
   */
  async copy(movements: (NumberedMovement & { _id: Types.ObjectId; productId: Types.ObjectId })[]): Promise<number> {
    if (movements.length === 0) return 0;
    const records = movements.map((movement) => ({
      _id: movement._id,
      productId: movement.productId,
      sequence: movement.sequence,
      at: movement.at,
      variantId: movement.variantId,
      kind: movement.kind,
      delta: movement.delta,
      ...(movement.orderId && { orderId: movement.orderId }),
      ...(movement.actor && { actor: movement.actor }),
      ...(movement.reason !== undefined && { reason: movement.reason }),
    }));
    try {
      await this.model.insertMany(records, { ordered: false, lean: true });
      return records.length;
    } catch (error) {
      const writeErrors = (error as { writeErrors?: { code?: number; err?: { code?: number } }[] }).writeErrors;
      if (!writeErrors || writeErrors.some((each) => (each.code ?? each.err?.code) !== DUPLICATE_KEY)) throw error;
      return records.length - writeErrors.length;
    }
  }

  /** The product's relayed movements, newest first (the index on productId + sequence). */
  newestOf(productId: Types.ObjectId, page: MovementPage = {}): Promise<NumberedMovement[]> {
    const query = this.model
      .find({ productId, ...(page.before !== undefined && { sequence: { $lt: page.before } }) }, { productId: 0 })
      .sort({ sequence: -1 })
      .lean<NumberedMovement[]>();
    if (page.limit !== undefined) query.limit(page.limit);
    return query.exec();
  }

  /** The product's relayed movements one at a time (stock:verify: never a product's whole history in memory). */
  async *streamOf(productId: Types.ObjectId): AsyncGenerator<NumberedMovement> {
    yield* this.model.find({ productId }, { productId: 0 }).lean<NumberedMovement>().cursor();
  }
}
