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

  /** Orders holding a use (placed, not cancelled): changed only by PromotionUses, with `holders`. */
  @Prop({ required: true, default: 0, min: 0 })
  used!: number;

  /**
   * The orders counted in `used` that may still give their use back: taking and giving back are
   * conditioned on an order being absent or present here, so each is idempotent per order (a
   * retried effect cannot give a use back twice). A shipped order leaves the list (PromotionUses.settle).
   */
  @Prop({ type: [SchemaTypes.ObjectId], default: [], select: false })
  holders!: Types.ObjectId[];

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

  /** The orders counted in `used`, as on the promotion. */
  @Prop({ type: [SchemaTypes.ObjectId], default: [] })
  orders!: Types.ObjectId[];
}

export const PromotionCustomerUseSchema = SchemaFactory.createForClass(PromotionCustomerUse);
