import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { STOCK_MOVEMENT_KINDS, type StockMovementKind } from '../schemas/product.schema';

/**
 * One relayed stock movement: a copy of the movement its product's write recorded in the
 * product's `stockMovements` buffer, with the same `_id` (a second copy of it is a duplicate
 * key, so relaying is idempotent), its product and its sequence among the product's movements.
 * Written only by StockMovementStore, and never changed.
 */
@Schema({ collection: 'stock_movements', versionKey: false })
export class StockMovementRecord {
  _id!: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  productId!: Types.ObjectId;

  /** 1, 2, … per product, in the order of the writes that moved its stock (Product.stockMovementSequence). */
  @Prop({ required: true })
  sequence!: number;

  @Prop({ required: true })
  at!: Date;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  variantId!: Types.ObjectId;

  @Prop({ type: String, required: true, enum: STOCK_MOVEMENT_KINDS })
  kind!: StockMovementKind;

  @Prop({ required: true })
  delta!: number;

  @Prop({ type: SchemaTypes.ObjectId })
  orderId?: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId })
  actor?: Types.ObjectId;

  @Prop()
  reason?: string;
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
