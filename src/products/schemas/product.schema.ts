import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';

export const PRODUCT_STATUSES = ['draft', 'active', 'archived'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

@Schema({ _id: true })
export class ProductImage {
  _id!: Types.ObjectId;

  /** Object key in the bucket, under `products/<productId>/`. */
  @Prop({ required: true })
  key!: string;

  @Prop({ required: true })
  url!: string;
}
export const ProductImageSchema = SchemaFactory.createForClass(ProductImage);

@Schema({ _id: false })
export class StockAllocation {
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  orderId!: Types.ObjectId;

  @Prop({ required: true, min: 1 })
  quantity!: number;
}
const StockAllocationSchema = SchemaFactory.createForClass(StockAllocation);

@Schema({ _id: true })
export class StockAdjustment {
  _id!: Types.ObjectId;

  /** Units added (+) or removed (−) from on hand. */
  @Prop({ required: true })
  delta!: number;

  @Prop({ required: true })
  reason!: string;

  /** The admin who made the change. */
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  by!: Types.ObjectId;

  @Prop({ required: true })
  at!: Date;
}
const StockAdjustmentSchema = SchemaFactory.createForClass(StockAdjustment);

@Schema({ collection: 'products', timestamps: true })
export class Product {
  _id!: Types.ObjectId;

  @Prop({ required: true, trim: true })
  title!: string;

  /** Generated from the title once; stays the same when the title changes (stable URLs). */
  @Prop({ required: true, unique: true })
  slug!: string;

  @Prop({ required: true })
  description!: string;

  @Prop({ required: true, trim: true, index: true })
  brand!: string;

  /** Category slug. */
  @Prop({ required: true, index: true })
  category!: string;

  /** Which tax rates apply (API.md, "Money"); products from before tax classes read as `standard`. */
  @Prop({ default: 'standard' })
  taxClass?: string;

  @Prop({ type: [String], default: [] })
  tags!: string[];

  /** Minor units of the store currency. */
  @Prop({ required: true, min: 0, index: true })
  price!: number;

  /**
   * Sellable units: `stockOnHand − stockAllocated`, kept in the document (every stock update
   * changes it in the same `$inc`) so that one conditional update allocates (`stock ≥ qty`) and
   * the catalog's `inStock` filter and the public `stock` read it directly. Never below 0.
   */
  @Prop({ required: true, min: 0 })
  stock!: number;

  /** Units on the shelf (the counted quantity); shipping takes units off it. */
  @Prop({ required: true, min: 0 })
  stockOnHand!: number;

  /** Units held by orders that are not shipped yet. */
  @Prop({ required: true, min: 0 })
  stockAllocated!: number;

  /** Which orders hold the allocated units: makes allocate, release and ship idempotent per order. */
  @Prop({ type: [StockAllocationSchema], default: [], select: false })
  allocations!: StockAllocation[];

  /** Receipts, write-offs and counts: who changed the on-hand quantity, by how much, and why. */
  @Prop({ type: [StockAdjustmentSchema], default: [], select: false })
  stockAdjustments!: StockAdjustment[];

  @Prop({ type: [ProductImageSchema], default: [] })
  images!: ProductImage[];

  /**
   * Most units of this product one order (and one cart line) may hold, set by an admin for the
   * items people hoard; unset means MAX_UNITS_PER_LINE.
   */
  @Prop({ min: 1 })
  maxPerOrder?: number;

  /**
   * The rating aggregate of the visible reviews, written only by ProductStore's rating methods:
   * `ratingSum` and `ratingCount` change by atomic `$inc`, so no change is ever lost;
   * `ratingAverage` is `ratingSum / ratingCount`, kept stored only as the search sort key (see
   * ProductStore.changeRating for how it follows the sum and count).
   */
  @Prop({ default: 0 })
  ratingAverage!: number;

  @Prop({ default: 0 })
  ratingCount!: number;

  @Prop({ default: 0 })
  ratingSum!: number;

  @Prop({ type: String, required: true, enum: PRODUCT_STATUSES, default: 'active', index: true })
  status!: ProductStatus;

  /**
   * Folded words of title, brand, category and tags (products/tokenize.ts), rewritten on every
   * write that changes one of them. Search matches on these instead of `$text`.
   */
  @Prop({ type: [String], default: [], index: true })
  searchTokens!: string[];

  /** Folded words of the title alone: search ranks title matches above brand or tag matches. */
  @Prop({ type: [String], default: [] })
  titleTokens!: string[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type ProductDocument = HydratedDocument<Product>;
export const ProductSchema = SchemaFactory.createForClass(Product);
ProductSchema.index({ status: 1, createdAt: -1 });
