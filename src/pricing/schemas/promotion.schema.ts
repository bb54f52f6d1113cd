import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';
import { PROMOTION_TYPES, type PromotionType } from '../quote';

@Schema({ collection: 'promotions', timestamps: true })
export class Promotion {
  _id!: Types.ObjectId;

  @Prop({ required: true })
  name!: string;

  /** As the admin wrote it; absent: applied automatically when eligible. */
  @Prop()
  code?: string;

  /**
   * The code normalized (trimmed, upper case), or `auto:<id>` for an automatic promotion: always
   * set, so a plain unique index makes codes unique case-insensitively (the test server ignores
   * collations and sparse indexes are not needed).
   */
  @Prop({ required: true, unique: true })
  codeKey!: string;

  @Prop({ type: String, required: true, enum: PROMOTION_TYPES })
  type!: PromotionType;

  /** Basis points for `percentage`, minor units for `fixed`, 0 for `free_shipping`. */
  @Prop({ required: true, min: 0 })
  value!: number;

  @Prop({ type: [String], default: undefined })
  productIds?: string[];

  @Prop({ type: [String], default: undefined })
  categorySlugs?: string[];

  @Prop({ min: 0 })
  minSubtotal?: number;

  @Prop()
  startsAt?: Date;

  @Prop()
  endsAt?: Date;

  @Prop({ min: 1 })
  usageLimit?: number;

  @Prop({ min: 1 })
  perCustomerLimit?: number;

  @Prop({ required: true, default: false })
  combinable!: boolean;

  @Prop({ required: true, default: true })
  active!: boolean;

  /**
   * Orders holding a use (placed, not cancelled): changed only by PromotionUses, which records
   * each use as its own PromotionUse document.
   */
  @Prop({ required: true, default: 0, min: 0 })
  used!: number;

  /**
   * Legacy: before uses were PromotionUse documents, the orders counted in `used` that could give
   * their use back. No longer written by takes; giving back or settling an order held this way
   * still takes it out of the list (PromotionUses), so the list only shrinks. Remove once no
   * promotion has any.
   */
  @Prop({ type: [SchemaTypes.ObjectId], default: undefined, select: false })
  holders?: Types.ObjectId[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type PromotionDocument = HydratedDocument<Promotion>;
export const PromotionSchema = SchemaFactory.createForClass(Promotion);
PromotionSchema.index({ active: 1 });

/** One customer's uses of one promotion (`_id` = `<promotionId>:<customer>`), for `perCustomerLimit`. */
@Schema({ collection: 'promotion_customer_uses' })
export class PromotionCustomerUse {
  @Prop({ type: String })
  _id!: string;

  @Prop({ required: true, default: 0, min: 0 })
  used!: number;

  /** Legacy, as `Promotion.holders`: the orders counted in `used` before uses were PromotionUse documents. */
  @Prop({ type: [SchemaTypes.ObjectId], default: undefined })
  orders?: Types.ObjectId[];
}

export const PromotionCustomerUseSchema = SchemaFactory.createForClass(PromotionCustomerUse);

/**
 * One order's use of one promotion (`_id` = `<promotionId>:<orderId>`): its existence is what
 * lets the order give the use back, so taking and giving back are idempotent per order exactly
 * (the unique `_id` refuses a second take; only the one delete that finds it gives back). Small
 * and one per use, instead of a list on the promotion that every checkout would rewrite.
 */
@Schema({ collection: 'promotion_uses' })
export class PromotionUse {
  @Prop({ type: String })
  _id!: string;

  /** Set when the customer's counter (`<promotionId>:<customer>`) counted this use too: giving back gives theirs back. */
  @Prop()
  customer?: string;

  /** The order shipped: the use is final and can no longer be given back. */
  @Prop()
  settled?: boolean;

  @Prop({ required: true })
  takenAt!: Date;
}

export const PromotionUseSchema = SchemaFactory.createForClass(PromotionUse);
