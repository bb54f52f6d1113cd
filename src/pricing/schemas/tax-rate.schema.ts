import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';

/** A tax rate for a destination (country, optionally a region of it) and a tax class. */
@Schema({ collection: 'tax_rates', timestamps: true })
export class TaxRate {
  _id!: Types.ObjectId;

  /** ISO-2, upper case. */
  @Prop({ required: true })
  country!: string;

  /** Upper case (the address's `state`, e.g. CA); absent: the whole country. */
  @Prop()
  region?: string;

  @Prop({ required: true, default: 'standard' })
  taxClass!: string;

  /** Basis points: 2000 = 20 %. */
  @Prop({ required: true, min: 0 })
  rate!: number;

  @Prop({ required: true })
  name!: string;

  createdAt!: Date;
  updatedAt!: Date;
}

export type TaxRateDocument = HydratedDocument<TaxRate>;
export const TaxRateSchema = SchemaFactory.createForClass(TaxRate);
TaxRateSchema.index({ country: 1, region: 1, taxClass: 1 });
