import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';

/**
 * One of a customer's MAX_UNPAID_ORDERS places for an unpaid order. The unique (userId, slot)
 * index is what caps simultaneous checkouts: a checkout must insert a free slot, or take over a
 * stale one with a write conditioned on the order it held, before it may allocate anything.
 */
@Schema({ collection: 'unpaid_order_slots', versionKey: false })
export class UnpaidOrderSlot {
  _id!: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  userId!: Types.ObjectId;

  /** 0 … MAX_UNPAID_ORDERS − 1. */
  @Prop({ required: true })
  slot!: number;

  /** The order holding the slot (it may not exist yet: the slot is claimed before the order is written). */
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  orderId!: Types.ObjectId;

  @Prop({ required: true })
  claimedAt!: Date;
}
export const UnpaidOrderSlotSchema = SchemaFactory.createForClass(UnpaidOrderSlot);
UnpaidOrderSlotSchema.index({ userId: 1, slot: 1 }, { unique: true });
