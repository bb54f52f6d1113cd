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

export const VARIANT_STATUSES = ['active', 'archived'] as const;
export type VariantStatus = (typeof VARIANT_STATUSES)[number];

/** An option the product is sold in (Size, Color), with the values its variants may take. */
@Schema({ _id: false })
export class ProductOption {
  @Prop({ required: true })
  name!: string;

  @Prop({ type: [String], required: true })
  values!: string[];
}
const ProductOptionSchema = SchemaFactory.createForClass(ProductOption);

/**
 * One thing that can be bought: a combination of option values with its own sku, price and
 * stock. Its counters and allocations work like the product's used to (see ProductStore's stock
 * verbs): one conditional update of the product document takes a variant's units atomically.
 */
@Schema({ _id: true })
export class ProductVariant {
  /** A product's default variant (no options) has the product's own id: old carts and orders name it by the product. */
  _id!: Types.ObjectId;

  @Prop({ required: true })
  sku!: string;

  /**
   * `sku` trimmed and lower-cased, unique store-wide through a unique index (the MongoDB stand-in
   * ignores collations, so case-insensitivity is written, not configured). Written by the store only.
   */
  @Prop({ required: true })
  skuKey!: string;

  /** Option name → value, one entry per option of the product; `{}` for the default variant. */
  @Prop({ type: SchemaTypes.Mixed, default: {} })
  options!: Record<string, string>;

  /** Minor units of the store currency. */
  @Prop({ required: true, min: 0 })
  price!: number;

  /** Sellable units: `stockOnHand − stockAllocated`, moved in the same `$inc` as both. */
  @Prop({ required: true, min: 0 })
  stock!: number;

  @Prop({ required: true, min: 0 })
  stockOnHand!: number;

  @Prop({ required: true, min: 0 })
  stockAllocated!: number;

  /** Which orders hold this variant's allocated units: allocate, release and ship are idempotent per order. */
  @Prop({ type: [StockAllocationSchema], default: [] })
  allocations!: StockAllocation[];

  /** Images of the product that show this variant. */
  @Prop({ type: [SchemaTypes.ObjectId], default: [] })
  imageIds!: Types.ObjectId[];

  /** `archived`: no longer sold or counted in the product's price and stock; orders keep their copies. */
  @Prop({ type: String, required: true, enum: VARIANT_STATUSES, default: 'active' })
  status!: VariantStatus;

  /** Most units of this variant per order; unset: the product's `maxPerOrder`, then MAX_UNITS_PER_LINE. */
  @Prop({ min: 1 })
  maxPerOrder?: number;

  /**
   * Set by the write that recorded this variant's `stock.low` event, cleared when its sellable
   * stock is back above LOW_STOCK_THRESHOLD: one event per crossing however many sales race.
   */
  @Prop()
  lowStockSignalled?: boolean;
}
export const ProductVariantSchema = SchemaFactory.createForClass(ProductVariant);

/** The product events webhooks send (API.md): their public names. */
export const PRODUCT_EVENT_TYPES = ['product.created', 'product.updated', 'product.deleted', 'stock.low'] as const;
export type ProductEventType = (typeof PRODUCT_EVENT_TYPES)[number];

@Schema({ _id: false })
export class ProductOutboxEntry {
  /** ObjectId hex: unique, and part of the job id and the delivery's key. */
  @Prop({ required: true })
  eventId!: string;

  @Prop({ type: String, required: true, enum: PRODUCT_EVENT_TYPES })
  type!: ProductEventType;

  @Prop({ required: true })
  at!: Date;

  /** `stock.low`: the variant and its sellable stock right after the sale that crossed the threshold. */
  @Prop({ type: SchemaTypes.ObjectId })
  variantId?: Types.ObjectId;

  @Prop()
  stock?: number;
}
export const ProductOutboxEntrySchema = SchemaFactory.createForClass(ProductOutboxEntry);

/** What moved a variant's stock, recorded by the same conditional update that moved it. */
export const STOCK_MOVEMENT_KINDS = ['allocation', 'release', 'shipment', 'adjustment', 'count', 'opening'] as const;
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number];

/**
 * A movement in the product's `stockMovements` buffer (ProductStore writes it in the same write
 * as the stock change) or, once relayed, in the `stock_movements` collection
 * (StockMovementRelay). Its `_id` is made when the write is built: the relay copies by it, so a
 * copy made twice is one.
 */
@Schema({ _id: false })
export class StockMovement {
  /** Absent on movements written before the buffer was relayed (the relay numbers them first). */
  @Prop({ type: SchemaTypes.ObjectId })
  _id?: Types.ObjectId;

  @Prop({ required: true })
  at!: Date;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  variantId!: Types.ObjectId;

  @Prop({ type: String, required: true, enum: STOCK_MOVEMENT_KINDS })
  kind!: StockMovementKind;

  /**
   * Change of the counter the kind moves: sellable for allocation (−) and release (+), on hand
   * for shipment (−), adjustment and count (±), on hand for the opening stock (+).
   */
  @Prop({ required: true })
  delta!: number;

  @Prop({ type: SchemaTypes.ObjectId })
  orderId?: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId })
  actor?: Types.ObjectId;

  @Prop()
  reason?: string;
}
const StockMovementSchema = SchemaFactory.createForClass(StockMovement);

@Schema({ _id: false })
export class PriceRange {
  @Prop({ required: true }) min!: number;
  @Prop({ required: true }) max!: number;
}
const PriceRangeSchema = SchemaFactory.createForClass(PriceRange);

@Schema({ _id: true })
export class StockAdjustment {
  _id!: Types.ObjectId;

  /** The variant whose on-hand units changed (absent on entries from before variants). */
  @Prop({ type: SchemaTypes.ObjectId })
  variantId?: Types.ObjectId;

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

  /** Up to 3 options, each with up to 50 values; empty for a product sold as one thing. */
  @Prop({ type: [ProductOptionSchema], default: [] })
  options!: ProductOption[];

  /** At least one; a product without options has one default variant (`options: {}`). */
  @Prop({ type: [ProductVariantSchema], default: [] })
  variants!: ProductVariant[];

  /**
   * Bumped by every write of the variants' content (sku, options, price, status, a new
   * variant), each conditioned on the value it read: the product's price and price range are
   * computed from the variants as read, so two such writes are applied one after the other.
   * Stock writes leave it alone.
   */
  @Prop({ default: 0 })
  variantsRevision!: number;

  /** The lowest price of the active variants (minor units): what search filters and sorts by. */
  @Prop({ required: true, min: 0, index: true })
  price!: number;

  /** Lowest and highest price of the active variants. */
  @Prop({ type: PriceRangeSchema })
  priceRange!: PriceRange;

  /**
   * Sellable units of the active variants, summed: every stock verb moves it in the same `$inc`
   * as the variant's own counters, so the catalog's `inStock` filter and the public `stock` read
   * it directly. Never below 0.
   */
  @Prop({ required: true, min: 0 })
  stock!: number;

  /** Units on the shelf, summed over all variants; shipping takes units off it. */
  @Prop({ required: true, min: 0 })
  stockOnHand!: number;

  /** Units held by orders that are not shipped yet, summed over all variants. */
  @Prop({ required: true, min: 0 })
  stockAllocated!: number;

  /**
   * Receipts, write-offs and counts as products recorded them before: no longer written. Each
   * one's stock movement carries who made it and why (`actor`, `reason`), relayed out of the
   * document with the others, where this list grew inside it with every adjustment. Old
   * documents keep theirs.
   */
  @Prop({ type: [StockAdjustmentSchema], default: undefined, select: false })
  stockAdjustments?: StockAdjustment[];

  /**
   * The stock movements not yet relayed, oldest first: every allocation, release, shipment,
   * adjustment and count is pushed here by the write that made it (so it exists exactly when the
   * stock moved), and StockMovementRelay moves them to the `stock_movements` collection, so the
   * list stays short. Readers merge both (ProductsService.stockMovements, stock:verify).
   */
  @Prop({ type: [StockMovementSchema], default: [], select: false })
  stockMovements!: StockMovement[];

  /**
   * How many stock movements the product has recorded: every write that pushes to
   * `stockMovements` adds as many in the same update, and the relay removes only movements it
   * read, the oldest ones, so the buffer always holds the last `stockMovements.length` movements
   * and each one's `sequence` (1, 2, … in write order) follows from its place
   * (`sequencedMovementsOf`). Absent on products from before it: the relay numbers them.
   */
  @Prop({ select: false })
  stockMovementSequence?: number;

  @Prop({ type: [ProductImageSchema], default: [] })
  images!: ProductImage[];

  /**
   * Events recorded by the write that made them (ProductStore), waiting for the relay to hand
   * them to the webhook queue; relayed ones leave, so the list stays short.
   */
  @Prop({ type: [ProductOutboxEntrySchema], default: [], select: false })
  outbox!: ProductOutboxEntry[];

  /**
   * How many events the product has recorded: every write that pushes to `outbox` adds 1 in the
   * same update, so the outbox always holds the last `outbox.length` events and each entry's
   * `sequence` follows from its place (ProductStore.pendingEvents).
   */
  @Prop({ select: false })
  eventSequence?: number;

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
/** The sweeper finds events no relay took (ProductOutboxRelay). */
ProductSchema.index({ 'outbox.at': 1 });
/** The stock movement relay finds products with movements to move (StockMovementRelay); the buffer is short, so is this index. */
ProductSchema.index({ 'stockMovements.at': 1 });
