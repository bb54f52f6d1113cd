import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';

export const RATING_MIN = 1;
export const RATING_MAX = 5;
export const REVIEW_TITLE_MAX = 120;
export const REVIEW_BODY_MAX = 5000;

/**
 * A verified buyer's review of a product. `body` and `title` are plain text, stored exactly as
 * sent: markup is never interpreted or rewritten here (clients escape it when they render).
 */
@Schema({ collection: 'reviews', timestamps: true })
export class Review {
  _id!: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  productId!: Types.ObjectId;

  /** The author. */
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  userId!: Types.ObjectId;

  /** The author's name when the review was written (like orders copy what they sold). */
  @Prop({ required: true })
  authorName!: string;

  @Prop({ required: true, min: RATING_MIN, max: RATING_MAX })
  rating!: number;

  @Prop()
  title?: string;

  @Prop({ required: true })
  body!: string;

  /** Hidden by a moderator: out of the public list and out of the product's rating. */
  @Prop({ default: false })
  hidden!: boolean;

  createdAt!: Date;
  updatedAt!: Date;
}

export type ReviewDocument = HydratedDocument<Review>;
export const ReviewSchema = SchemaFactory.createForClass(Review);
/** One review per customer and product: the index, not a read-then-insert, decides (409). */
ReviewSchema.index({ productId: 1, userId: 1 }, { unique: true });
ReviewSchema.index({ productId: 1, hidden: 1, createdAt: -1 });
ReviewSchema.index({ createdAt: -1 });
