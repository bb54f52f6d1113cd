import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { StockMovement } from '../schemas/product.schema';

/**
 * One relayed stock movement: a copy of the movement (StockMovement) its product's write
 * recorded in the product's `stockMovements` buffer, with the same `_id` (a second copy of it is
 * a duplicate key, so relaying is idempotent), its product and its sequence among the product's
 * movements.
 * Written only by StockMovementStore, and never changed.
 */
@Schema({ collection: 'stock_movements', versionKey: false })
export class StockMovementRecord extends StockMovement {
  /** Always set: the buffer's id, which the copy keeps. */
  declare _id: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  productId!: Types.ObjectId;

  /** 1, 2, … per product, in the order of the writes that moved its stock (Product.stockMovementSequence). */
  @Prop({ required: true })
  sequence!: number;
}

export const StockMovementRecordSchema = SchemaFactory.createForClass(StockMovementRecord);
/**
 * A product's movements newest first, and pages of them (`sequence` < the cursor): the admin
 * route and stock:verify read only through this. Not unique: a duplicate `_id` is what says
 * "already copied"; a duplicate here would be a bug to see, not to swallow.
 */
StockMovementRecordSchema.index({ productId: 1, sequence: -1 });
/** A variant's movements (support and reporting). */
StockMovementRecordSchema.index({ variantId: 1, at: -1 });
