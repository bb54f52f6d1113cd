import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';

/** A way to ship, where it goes and what it costs; eligibility is judged per quote (pricing/quote.ts). */
@Schema({ collection: 'shipping_methods', timestamps: true })
export class ShippingMethod {
  _id!: Types.ObjectId;

  @Prop({ required: true })
  name!: string;

  /** ISO-2, upper case; empty: everywhere. */
  @Prop({ type: [String], default: [] })
  countries!: string[];

  @Prop({ required: true, min: 0 })
  price!: number;

  /** Free from this subtotal (after discounts, before tax) on. */
  @Prop({ min: 0 })
  freeFrom?: number;

  @Prop({ min: 0 })
  minSubtotal?: number;

  @Prop({ min: 0 })
  maxSubtotal?: number;

  @Prop({ required: true, default: true })
  active!: boolean;

  createdAt!: Date;
  updatedAt!: Date;
}

export type ShippingMethodDocument = HydratedDocument<ShippingMethod>;
export const ShippingMethodSchema = SchemaFactory.createForClass(ShippingMethod);
