import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PipelineStage, ProjectionType, QueryFilter, SortOrder, UpdateQuery } from 'mongoose';
import { Model, Types } from 'mongoose';
import { StateConflictError } from '@app/common';
import { searchTokensOf } from './tokenize';
import { CatalogChange, CatalogVersion, crossesAvailability } from './catalog-version';
import type { LiveFigures } from './catalog-figures';
import { Product, ProductDocument, ProductImage, StockAdjustment } from './schemas/product.schema';

/** The fields the search tokens are made of. */
const SEARCHABLE_FIELDS = ['title', 'brand', 'category', 'tags'] as const;
type Searchable = Pick<Product, (typeof SEARCHABLE_FIELDS)[number]>;
/** Fields only the store writes. */
const DERIVED_FIELDS = ['searchTokens', 'titleTokens'] as const;

/** What a caller gives to create a product; the store adds the derived fields. */
export type NewProduct = Omit<Product, '_id' | 'createdAt' | 'updatedAt' | (typeof DERIVED_FIELDS)[number] | 'images' | 'ratingAverage' | 'ratingCount' | 'ratingSum' | 'allocations' | 'stockAdjustments'> &
  Partial<Pick<Product, 'images' | 'allocations' | 'stockAdjustments'>>;

/** The descriptive fields an admin edits; stock, images, ratings and status have their own verbs. */
export type ProductEdit = Partial<Pick<Product, 'title' | 'description' | 'brand' | 'category' | 'tags' | 'price'>>;

export type ProductFilter = QueryFilter<Product>;
type ProductUpdate = UpdateQuery<Product>;

/** Products written before stock was split into on hand and allocated. */
const LEGACY_STOCK = { stockOnHand: { $exists: false } };

/** Products that can be bought now: `stock` is the sellable quantity (on hand − allocated), kept in step by InventoryService. */
export const IN_STOCK: ProductFilter = { stock: { $gt: 0 } };

/** An update conditioned on the searchable fields as read is retried this often before 409. */
const TOKEN_RETRIES = 5;
const PARALLEL_WRITES = 50;

/** Search tokens and title tokens (relevance ranks title matches first): computed here only. */
export function derivedFieldsOf(product: Searchable): Pick<Product, (typeof DERIVED_FIELDS)[number]> {
  return {
    searchTokens: searchTokensOf(product.title, product.brand, product.category, product.tags),
    titleTokens: searchTokensOf(product.title),
  };
}

/**
 * The only code that writes the `products` collection (ARCHITECTURE.md: one owner per
 * collection). Every write goes through here so that two rules cannot be forgotten by a new
 * writer:
 * - the search tokens follow the searchable fields: an update that sets one of them is applied
 *   with the tokens recomputed from the merged document, conditioned on the fields still being
 *   what they were read as (a concurrent edit means another read, never stale tokens);
 * - the catalog versions are bumped after every write that may have changed something, by what
 *   it changed: content invalidates every cached catalog read; stock and ratings only make the
 *   figures laid over cached answers be read again, and invalidate the answers that depend on
 *   them when a product crosses between sold out and available or a rating moves (CatalogVersion).
 *
 * Writes are verbs (`allocate`, `attachImages`, `moveCategory`, …): each owns its filter, whose
 * condition is what makes it atomic, and names what it changed for the catalog version. No
 * caller passes a filter or an update, and the Mongoose model is never handed out.
 */
@Injectable()
export class ProductStore {
  constructor(
    @InjectModel(Product.name) private readonly model: Model<Product>,
    private readonly version: CatalogVersion,
  ) {}

  // ---- reads ----

  findById(id: string | Types.ObjectId, projection?: ProjectionType<Product>): Promise<ProductDocument | null> {
    return this.model.findById(id, projection).exec();
  }

  findOne(filter: ProductFilter, projection?: ProjectionType<Product>): Promise<ProductDocument | null> {
    return this.model.findOne(filter, projection).exec();
  }

  async exists(filter: ProductFilter): Promise<boolean> {
    return (await this.model.exists(filter)) !== null;
  }

  count(filter: ProductFilter): Promise<number> {
    return this.model.countDocuments(filter).exec();
  }

  estimatedCount(): Promise<number> {
    return this.model.estimatedDocumentCount().exec();
  }

  findPage(filter: ProductFilter, sort: Record<string, SortOrder>, skip: number, limit: number): Promise<ProductDocument[]> {
    return this.model.find(filter).sort(sort).skip(skip).limit(limit).exec();
  }

  /** Read-only pipelines: stages that write are refused. */
  aggregate<T>(pipeline: PipelineStage[]): Promise<T[]> {
    if (pipeline.some((stage) => '$out' in stage || '$merge' in stage)) {
      throw new Error('ProductStore.aggregate is read-only; write through the store');
    }
    return this.model.aggregate<T>(pipeline).exec();
  }

  /**
   * The catalog versions (cache keys are made of them) and, in the same Redis round trip, the
   * cache entry `alsoKey` (CatalogVersion.current); null when they cannot be read: then read uncached.
   */
  catalogVersions(...args: Parameters<CatalogVersion['current']>): ReturnType<CatalogVersion['current']> {
    return this.version.current(...args);
  }

  /** The figures laid over cached catalog answers (stock, ratings, `updatedAt`) of these products, in one query. */
  liveFigures(ids: string[]): Promise<LiveFigures[]> {
    return this.model
      .find({ _id: { $in: ids } }, { stock: 1, ratingSum: 1, ratingCount: 1, updatedAt: 1, 'variants._id': 1, 'variants.stock': 1 })
      .lean<LiveFigures[]>()
      .exec();
  }

  // ---- writes: catalog content ----

  async create(fields: NewProduct): Promise<ProductDocument> {
    return this.changed('content', await this.model.create({ ...fields, ...derivedFieldsOf(fields) }));
  }

  /**
   * Takes back a product just created, before anyone could order it (a create that lost a race
   * with the deletion of its category). Products that were live are archived, never removed.
   */
  async removeJustCreated(id: Types.ObjectId): Promise<void> {
    await this.model.deleteOne({ _id: id, stockAllocated: 0 }).exec();
    await this.version.bump('content');
  }

  /** Bulk insert (seeding); with `ordered: false` a failure still leaves the rest inserted. */
  async createMany(list: NewProduct[]): Promise<void> {
    try {
      await this.model.insertMany(
        list.map((fields) => ({ ...fields, ...derivedFieldsOf(fields) })),
        { ordered: false, lean: true },
      );
    } finally {
      await this.changed('content', true);
    }
  }

  /** Sets the given descriptive fields in one atomic write; null when the product does not exist. */
  async edit(productId: string, fields: ProductEdit): Promise<ProductDocument | null> {
    return this.changed('content', await this.findOneAndUpdate({ _id: productId }, { $set: fields }));
  }

  /** Takes the product out of public reads; false when it does not exist. */
  async archive(productId: string): Promise<boolean> {
    const result = await this.model.updateOne({ _id: productId }, { $set: { status: 'archived' } }, { runValidators: true }).exec();
    return this.changed('content', result.matchedCount > 0);
  }

  /** Moves every product of one category to another; returns how many moved. */
  async moveCategory(fromSlug: string, toSlug: string): Promise<number> {
    return this.changed('content', await this.updateMany({ category: fromSlug }, { $set: { category: toSlug } }));
  }

  /**
   * Appends images to a product that is not archived and has room for all of them at once; null
   * when it cannot take them (archived, full, or missing: the caller tells which).
   */
  async attachImages(productId: string, images: ProductImage[], maxImages: number): Promise<ProductDocument | null> {
    const updated = await this.model
      .findOneAndUpdate(
        {
          _id: productId,
          status: { $ne: 'archived' },
          // Room for all of them: the array has no element at the index that would overflow.
          [`images.${maxImages - images.length}`]: { $exists: false },
        },
        { $push: { images: { $each: images } } },
        { returnDocument: 'after', runValidators: true },
      )
      .exec();
    return this.changed('content', updated);
  }

  /** Removes one image; returns the product as it was before (to find the image's key), null when product or image is missing. */
  async removeImage(productId: string, imageId: string): Promise<ProductDocument | null> {
    const before = await this.model
      .findOneAndUpdate({ _id: productId, 'images._id': imageId }, { $pull: { images: { _id: imageId } } }, { returnDocument: 'before' })
      .exec();
    return this.changed('content', before);
  }

  /** Empties the image list of an archived product; the product as it was before, null when it is missing or not archived. */
  async removeImagesOfArchived(productId: string): Promise<ProductDocument | null> {
    const before = await this.model.findOneAndUpdate({ _id: productId, status: 'archived' }, { $set: { images: [] } }, { returnDocument: 'before' }).exec();
    return this.changed('content', before);
  }

  // ---- writes: stock ----
  //
  // `stock` (sellable) = `stockOnHand` − `stockAllocated`, kept by every verb below in the same
  // `$inc`. Each allocation is listed on the product as `{orderId, quantity}`, which makes every
  // verb idempotent per order: allocating twice for one order takes once, and releasing or
  // shipping an allocation that is gone does nothing.

  /** Takes `quantity` units for the order while that many are sellable; true also when the order already holds them. */
  async allocate(productId: string, orderId: Types.ObjectId, quantity: number): Promise<boolean> {
    const after = await this.model
      .findOneAndUpdate(
        { _id: productId, status: 'active', stock: { $gte: quantity }, 'allocations.orderId': { $ne: orderId } },
        { $inc: { stock: -quantity, stockAllocated: quantity }, $push: { allocations: { orderId, quantity } } },
        { returnDocument: 'after' },
      )
      .select({ stock: 1 })
      .lean<Pick<Product, 'stock'>>()
      .exec();
    if (after) return this.changed(stockChange(after.stock + quantity, after.stock), true);
    return (await this.model.exists({ _id: productId, 'allocations.orderId': orderId })) !== null;
  }

  /** Gives the order's allocation back to the sellable stock; false when there was none (already given back). */
  async release(productId: string, orderId: Types.ObjectId, quantity: number): Promise<boolean> {
    const after = await this.model
      .findOneAndUpdate(
        { _id: productId, 'allocations.orderId': orderId },
        { $inc: { stock: quantity, stockAllocated: -quantity }, $pull: { allocations: { orderId } } },
        { returnDocument: 'after' },
      )
      .select({ stock: 1 })
      .lean<Pick<Product, 'stock'>>()
      .exec();
    return after ? this.changed(stockChange(after.stock - quantity, after.stock), true) : false;
  }

  /** The order's units leave the shelf and the allocation; the sellable quantity is unchanged. */
  async ship(productId: string, orderId: Types.ObjectId, quantity: number): Promise<boolean> {
    const result = await this.model
      .updateOne(
        { _id: productId, 'allocations.orderId': orderId },
        { $inc: { stockOnHand: -quantity, stockAllocated: -quantity }, $pull: { allocations: { orderId } } },
      )
      .exec();
    // Sellable is unchanged; `updatedAt` moved.
    return this.changed('figures', result.matchedCount > 0);
  }

  /**
   * Sets the counted on-hand quantity, as a change by the difference to `seenOnHand`, only while
   * on hand is still that and no more than `onHand` units are allocated; null when either moved.
   */
  async countOnHand(productId: Types.ObjectId, seenOnHand: number, onHand: number, by: string): Promise<ProductDocument | null> {
    const delta = onHand - seenOnHand;
    const updated = await this.model
      .findOneAndUpdate(
        { _id: productId, stockOnHand: seenOnHand, stockAllocated: { $lte: onHand } },
        { $inc: { stockOnHand: delta, stock: delta }, $push: { stockAdjustments: adjustment(delta, 'Stock count', by) } },
        { returnDocument: 'after' },
      )
      .exec();
    return updated ? this.changed(stockChange(updated.stock - delta, updated.stock), updated) : null;
  }

  /** A receipt (+) or write-off (−) of on-hand units; a write-off only of units nobody holds. Null when refused or missing. */
  async adjust(productId: string, delta: number, reason: string, by: string): Promise<ProductDocument | null> {
    const filter = delta < 0 ? { _id: productId, stock: { $gte: -delta } } : { _id: productId };
    const updated = await this.model
      .findOneAndUpdate(filter, { $inc: { stockOnHand: delta, stock: delta }, $push: { stockAdjustments: adjustment(delta, reason, by) } }, { returnDocument: 'after' })
      .exec();
    return updated ? this.changed(stockChange(updated.stock - delta, updated.stock), updated) : null;
  }

  /**
   * Products from before on-hand/allocated whose one `stock` field equals `stock`: it becomes on
   * hand, nothing allocated. The filter repeats the condition, so running it twice is harmless.
   */
  async splitLegacyStock(stock: number): Promise<number> {
    const result = await this.model
      .updateMany({ ...LEGACY_STOCK, stock }, { $set: { stockOnHand: stock, stockAllocated: 0, allocations: [] } })
      .exec();
    // A one-off migration: treated as content, the widest invalidation.
    return this.changed('content', result.matchedCount);
  }

  /** The distinct `stock` values of products from before on-hand/allocated. */
  async legacyStockValues(): Promise<number[]> {
    const groups = await this.model.aggregate<{ _id: number }>([{ $match: LEGACY_STOCK }, { $group: { _id: '$stock' } }]).exec();
    return groups.map((group) => group._id);
  }

  // ---- internals of the content writes ----

  /**
   * One atomic update of the first product matching `filter`; null when none matches. An update
   * that `$set`s a searchable field gets the tokens recomputed (see the class comment).
   */
  private async findOneAndUpdate(filter: ProductFilter, update: ProductUpdate): Promise<ProductDocument | null> {
    const searchable = searchableSetOf(update);
    const write = (condition: ProductFilter, withTokens: ProductUpdate) =>
      this.model.findOneAndUpdate(condition, withTokens, { returnDocument: 'after', runValidators: true }).exec();
    if (!searchable) return write(filter, update);

    for (let attempt = 0; attempt < TOKEN_RETRIES; attempt += 1) {
      const current = await this.model.findOne(filter, searchableProjection()).lean<SearchableSnapshot>();
      if (!current) return null;
      const updated = await write(conditionOn(filter, current), withTokens(update, { ...pickSearchable(current), ...searchable }));
      if (updated) return updated;
    }
    throw new StateConflictError('The product kept changing while it was edited; try again');
  }

  /**
   * Applies the update to every matching product; returns how many were updated. With a
   * searchable field, each product is written with its own tokens and its own condition, and
   * products edited meanwhile are read again on the next pass.
   */
  private async updateMany(filter: ProductFilter, update: ProductUpdate): Promise<number> {
    const searchable = searchableSetOf(update);
    if (!searchable) {
      const result = await this.model.updateMany(filter, update, { runValidators: true }).exec();
      return result.matchedCount;
    }
    const done: Types.ObjectId[] = [];
    try {
      for (let pass = 0; pass < TOKEN_RETRIES; pass += 1) {
        const pending = await this.model.find({ $and: [filter, { _id: { $nin: done } }] }, searchableProjection()).lean<SearchableSnapshot[]>();
        if (pending.length === 0) return done.length;
        for (let start = 0; start < pending.length; start += PARALLEL_WRITES) {
          await Promise.all(
            pending.slice(start, start + PARALLEL_WRITES).map(async (current) => {
              const result = await this.model
                .updateOne(conditionOn(filter, current), withTokens(update, { ...pickSearchable(current), ...searchable }), { runValidators: true })
                .exec();
              if (result.matchedCount > 0) done.push(current._id);
            }),
          );
        }
      }
      throw new StateConflictError('Products kept changing during the update; try again');
    } finally {
      // Products moved before the conflict are moved: cached reads must see them.
      if (done.length > 0) await this.changed('content', true);
    }
  }

  /**
   * Bumps the catalog versions after a write that happened (`outcome` truthy). What changed is
   * named by every verb (CatalogChange): content (titles, prices, categories, images, status) is
   * what cached catalog answers are made of; stock and ratings are laid over cached answers
   * (catalog-figures.ts), so their writes only move the counters that say so.
   */
  private async changed<T>(change: CatalogChange, outcome: T): Promise<T> {
    if (outcome) await this.version.bump(change);
    return outcome;
  }

  // ---- writes: rating aggregates (reviews, issue 17) ----
  //
  // `ratingSum` and `ratingCount` are the truth: every review change moves them with one atomic
  // `$inc` of its own delta, so concurrent changes add up exactly and none is lost. The average
  // is derived from them: responses compute it (`ratingAverageOf`), and the stored
  // `ratingAverage` exists only so that search can sort and page on a stored field.
  //
  // Why the stored average follows in a second, conditional write instead of in the `$inc`
  // itself: the division needs the values after the increment, which an operator update cannot
  // express, and updates written as a pipeline (`[{$set: {ratingAverage: {$divide: …}}}]`) are
  // refused by the MongoDB stand-in (ARCHITECTURE.md). A compare-and-set (read sum and count,
  // `$inc` + `$set` conditioned on them, retry when they moved) would keep the three fields
  // together, but under many simultaneous reviews every writer but one loses each round: retries
  // grow with the square of the writers and a bounded loop can give up after the review was
  // written. Instead the `$inc` always lands, then the average is set from a fresh read of sum
  // and count, conditioned on both still being those values. The average is a function of
  // (sum, count) alone, so a set that matches is right whichever writer makes it; a writer whose
  // read is already stale matches nothing and leaves the set to the later writer, which read
  // after every earlier increment. When no rating write is in flight the stored average equals
  // sum / count; a crash between the two writes leaves only the sort key behind, which
  // `npm run reviews:recompute` repairs (it also repairs a crash before the `$inc`).

  /** Adds a review change to a product's rating; false when the product does not exist. */
  async applyRatingChange(productId: string | Types.ObjectId, change: RatingAggregate): Promise<boolean> {
    const result = await this.model.updateOne({ _id: productId }, { $inc: { ratingSum: change.sum, ratingCount: change.count } }).exec();
    if (result.matchedCount === 0) return false;
    await this.settleRatingAverage(productId);
    return this.changed('ranking', true);
  }

  /** Every product whose stored rating is not all zeros: what `reviews:recompute` compares. */
  ratedProducts(): Promise<StoredRating[]> {
    return this.model
      .find({ $or: [{ ratingSum: { $ne: 0 } }, { ratingCount: { $ne: 0 } }, { ratingAverage: { $ne: 0 } }] }, { ratingSum: 1, ratingCount: 1, ratingAverage: 1 })
      .lean<StoredRating[]>()
      .exec();
  }

  /**
   * Replaces a product's rating with `exact` (recomputed from its reviews) if it still holds
   * `seen`; false when it changed meanwhile (the caller reads again) or the product is gone.
   */
  async replaceRating(productId: Types.ObjectId, seen: Omit<StoredRating, '_id'>, exact: RatingAggregate): Promise<boolean> {
    const result = await this.model
      .updateOne(
        { _id: productId, ratingSum: seen.ratingSum, ratingCount: seen.ratingCount, ratingAverage: seen.ratingAverage },
        { $set: { ratingSum: exact.sum, ratingCount: exact.count, ratingAverage: ratingAverageOf(exact.sum, exact.count) } },
      )
      .exec();
    return this.changed('ranking', result.matchedCount > 0);
  }

  private async settleRatingAverage(productId: string | Types.ObjectId): Promise<void> {
    const now = await this.model.findById(productId, { ratingSum: 1, ratingCount: 1 }).lean<StoredRating>().exec();
    if (!now) return;
    await this.model
      .updateOne({ _id: productId, ratingSum: now.ratingSum, ratingCount: now.ratingCount }, { $set: { ratingAverage: ratingAverageOf(now.ratingSum, now.ratingCount) } })
      .exec();
  }
}

/** A change to (or the value of) a rating aggregate: the sum of the ratings and how many. */
export interface RatingAggregate {
  sum: number;
  count: number;
}

export interface StoredRating {
  _id: Types.ObjectId;
  ratingSum: number;
  ratingCount: number;
  ratingAverage: number;
}

/** The one definition of the average: 0 without ratings, otherwise unrounded sum / count. */
export function ratingAverageOf(sum: number, count: number): number {
  return count > 0 ? sum / count : 0;
}

type SearchableSnapshot = Searchable & { _id: Types.ObjectId };

/** A stock write's change: `availability` when the sellable quantity crossed 0, else only `figures`. */
function stockChange(before: number, after: number): CatalogChange {
  return crossesAvailability(before, after) ? 'availability' : 'figures';
}

function adjustment(delta: number, reason: string, by: string): StockAdjustment {
  return { _id: new Types.ObjectId(), delta, reason, by: new Types.ObjectId(by), at: new Date() };
}

function searchableProjection(): Record<string, 1> {
  return Object.fromEntries(SEARCHABLE_FIELDS.map((field) => [field, 1]));
}

function pickSearchable(product: Searchable): Searchable {
  return { title: product.title, brand: product.brand, category: product.category, tags: product.tags };
}

/**
 * The caller's condition, on the product that was read, and only while the fields the tokens
 * were computed from are still as read.
 */
function conditionOn(filter: ProductFilter, current: SearchableSnapshot): ProductFilter {
  return { $and: [filter, { _id: current._id, ...pickSearchable(current) }] };
}

function withTokens(update: ProductUpdate, merged: Searchable): ProductUpdate {
  return { ...update, $set: { ...update.$set, ...derivedFieldsOf(merged) } };
}

/**
 * The searchable fields an update sets, or null if it sets none. Searchable and derived fields
 * may only be changed with `$set`, so the store always knows the values the tokens come from.
 */
function searchableSetOf(update: ProductUpdate): Partial<Searchable> | null {
  const touched: Partial<Searchable> = {};
  for (const [operator, fields] of Object.entries(update)) {
    if (!operator.startsWith('$')) throw new Error(`ProductStore: use update operators, not a replacement ("${operator}")`);
    for (const field of Object.keys(fields ?? {})) {
      const root = field.split('.')[0];
      if ((DERIVED_FIELDS as readonly string[]).includes(root)) throw new Error(`ProductStore: "${root}" is derived, never written directly`);
      if (!(SEARCHABLE_FIELDS as readonly string[]).includes(root)) continue;
      if ((fields as Record<string, unknown>)[field] === undefined) continue;
      if (operator !== '$set' || root !== field) throw new Error(`ProductStore: "${root}" can only be changed with $set of the whole field`);
      (touched as Record<string, unknown>)[root] = (fields as Record<string, unknown>)[field];
    }
  }
  return Object.keys(touched).length > 0 ? touched : null;
}
