import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PipelineStage, ProjectionType, QueryFilter, SortOrder, UpdateQuery } from 'mongoose';
import { Model, mongo, Types } from 'mongoose';
import { StateConflictError, TurnBatchedFind } from '@app/common';
import { AppConfig } from '../config/app-config';
import { searchTokensOf } from './tokenize';
import { CatalogChange, CatalogVersion, crossesAvailability } from './catalog-version';
import {
  Product,
  ProductDocument,
  ProductEventType,
  ProductImage,
  ProductOutboxEntry,
  ProductVariant,
  StockAllocation,
  StockMovement,
  StockMovementKind,
} from './schemas/product.schema';
import { priceSummaryOf, skuKeyOf, stockSummaryOf } from './variants';

/** The fields the search tokens are made of. */
const SEARCHABLE_FIELDS = ['title', 'brand', 'category', 'tags'] as const;
type Searchable = Pick<Product, (typeof SEARCHABLE_FIELDS)[number]>;
/** Fields only the store writes. */
const DERIVED_FIELDS = ['searchTokens', 'titleTokens'] as const;

/** Fields the store derives from the variants, in the same write. */
type FROM_VARIANTS = 'price' | 'priceRange' | 'stock' | 'stockOnHand' | 'stockAllocated' | 'variantsRevision' | 'stockMovements' | 'stockMovementSequence';
/** Fields the store writes with the events it records. */
type EVENT_FIELDS = 'outbox' | 'eventSequence';

/** What a caller gives to create a product; the store adds the derived fields (tokens, price, stock). */
export type NewProduct = Omit<
  Product,
  '_id' | 'createdAt' | 'updatedAt' | (typeof DERIVED_FIELDS)[number] | 'images' | 'ratingAverage' | 'ratingCount' | 'ratingSum' | 'variants' | FROM_VARIANTS | EVENT_FIELDS
> &
  Partial<Pick<Product, '_id' | 'images'>> & { variants: NewVariant[] };

/** A variant as an admin gives it: `stockOnHand` is its opening stock, nothing allocated yet. */
export type NewVariant = Pick<ProductVariant, 'sku' | 'options' | 'price' | 'stockOnHand'> &
  Partial<Pick<ProductVariant, '_id' | 'imageIds' | 'status' | 'maxPerOrder'>>;

/** What an admin may change on a variant through `reviseVariant` (stock has its own verbs). */
export type VariantEdit = Partial<Pick<ProductVariant, 'sku' | 'price' | 'imageIds' | 'status' | 'maxPerOrder'>>;

/** Which variant of which product a stock verb moves. */
export interface VariantRef {
  productId: string;
  variantId: string;
}

/** A product as stored before variants (and maybe before on hand/allocated): what the migration reads. */
export interface LegacyProduct {
  _id: Types.ObjectId;
  slug: string;
  price: number;
  stock: number;
  stockOnHand?: number;
  stockAllocated?: number;
  allocations?: StockAllocation[];
}

/** The figures laid over cached catalog answers (catalog-figures.ts), as read by `liveFigures`. */
export interface LiveFigures {
  _id: Types.ObjectId;
  stock: number;
  ratingSum?: number;
  ratingCount?: number;
  updatedAt: Date;
  variants?: { _id: Types.ObjectId; stock: number }[];
}

export const SKU_INDEX = 'variants.skuKey_1';

/** The product's own fields an admin edits (PATCH); prices and stock are its variants', images and ratings have their own verbs. */
export type ProductEdit = Partial<Pick<Product, 'title' | 'description' | 'brand' | 'category' | 'taxClass' | 'tags' | 'status' | 'maxPerOrder'>>;

/**
 * One admin save of a product (PATCH of the product or of one variant), applied by `revise` as
 * one write: the product's fields, one variant's fields, and that variant's counted on-hand.
 */
export interface ProductRevision {
  fields?: ProductEdit;
  /** The variant `variant` and `count` are about. */
  variantId?: Types.ObjectId;
  variant?: VariantEdit;
  /** The counted quantity on hand of the variant, and the admin who counted. */
  count?: { onHand: number; by: string };
}

/** The product just before and just after one write, both exact (see `revise`). */
export interface Revised {
  before: ProductDocument;
  after: ProductDocument;
}

export type ProductFilter = QueryFilter<Product>;
type ProductUpdate = UpdateQuery<Product>;

/** Products that can be bought now: `stock` is the sellable quantity (on hand − allocated), kept in step by InventoryService. */
export const IN_STOCK: ProductFilter = { stock: { $gt: 0 } };

/** An update conditioned on the searchable fields as read is retried this often before 409. */
const TOKEN_RETRIES = 5;
/** The variant fields `revise` sets from an admin's edit (stock has its own counters). */
const VARIANT_EDIT_FIELDS = ['sku', 'skuKey', 'price', 'imageIds', 'status', 'maxPerOrder'] as const;
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
 *   them when a variant crosses between sold out and available or a rating moves (CatalogVersion).
 *
 * Writes are verbs (`allocate`, `attachImages`, `moveCategory`, …): each owns its filter, whose
 * condition is what makes it atomic, and names what it changed for the catalog version. No
 * caller passes a filter or an update, and the Mongoose model is never handed out.
 */
@Injectable()
export class ProductStore {
  /** Hands recorded events to the webhook queue (ProductOutboxRelay registers it); unset in CLI processes. */
  private relay?: (productId: Types.ObjectId) => Promise<void>;

  /** The products carts and checkouts read (forSaleFields), one find per turn for all of them. */
  private readonly forSaleReads: TurnBatchedFind<ForSaleFields>;

  constructor(
    @InjectModel(Product.name) private readonly model: Model<Product>,
    private readonly version: CatalogVersion,
    private readonly config: AppConfig,
  ) {
    this.forSaleReads = new TurnBatchedFind(model.collection as unknown as mongo.Collection<ForSaleFields>, '_id', { projection: FOR_SALE_PROJECTION });
  }

  /**
   * The relay to call after a write that recorded an event. Without one (a CLI process) the
   * events wait in the outbox for the worker's sweep.
   */
  onEventsRecorded(relay: (productId: Types.ObjectId) => Promise<void>): void {
    this.relay = relay;
  }

  /**
   * The driver's collection, for the stock verbs every checkout and cancel sends (allocate, the
   * bulk allocation, release, ship): their filters and updates are built from values already of
   * the schema's types (ObjectIds, Dates, numbers), so Mongoose's casting of filter, update and
   * array filters on every call is skipped; `stampedForDriver` adds the `updatedAt` its
   * timestamps would have set. The stored document is the one Mongoose would write (tested in
   * checkout-round-trips: valid, same types).
   */
  private collection(): mongo.Collection {
    return this.model.collection as unknown as mongo.Collection;
  }

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

  /**
   * What carts and checkout read of these products (InventoryService.forSale): only the fields
   * they use, as plain objects. The hot read of every cart change and checkout: no allocations,
   * descriptions or search tokens on the wire, no Mongoose documents built; the reads of one
   * turn share one find.
   */
  forSaleFields(ids: Types.ObjectId[]): Promise<ForSaleFields[]> {
    return this.forSaleReads.find(ids);
  }

  /** Read-only pipelines: stages that write are refused. */
  aggregate<T>(pipeline: PipelineStage[]): Promise<T[]> {
    if (pipeline.some((stage) => '$out' in stage || '$merge' in stage)) {
      throw new Error('ProductStore.aggregate is read-only; write through the store');
    }
    return this.model.aggregate<T>(pipeline).exec();
  }

  /**
   * Every product with its buffered stock movements and their count, as stored, one at a time
   * (what `stock:verify` checks, with the relayed movements from `stock_movements`).
   */
  async *withStockMovements(): AsyncGenerator<Product> {
    yield* this.model.find({}).select('+stockMovements +stockMovementSequence').lean<Product>().cursor();
  }

  /** One product as `withStockMovements` reads it; null when it is gone. */
  withStockMovementsOf(productId: Types.ObjectId): Promise<Product | null> {
    return this.model.findById(productId).select('+stockMovements +stockMovementSequence').lean<Product>().exec();
  }

  /** How many stock movements the product has recorded (undefined: gone, or none recorded since the count exists). */
  async stockMovementSequenceOf(productId: Types.ObjectId): Promise<number | undefined> {
    const product = await this.model.findById(productId, { stockMovementSequence: 1 }).select('+stockMovementSequence').lean<Pick<Product, 'stockMovementSequence'>>().exec();
    return product?.stockMovementSequence;
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

  // ---- the outbox (events relayed to webhooks) ----

  /**
   * The events waiting in the product's outbox, each with its `sequence`. Every write that pushes
   * an event adds 1 to `eventSequence` in the same update, and the relay removes only events it
   * read, all of them, so the outbox always holds the product's last `outbox.length` events in
   * order: the sequence of each follows from its place, read in one consistent document read.
   */
  async pendingEvents(productId: Types.ObjectId): Promise<PendingProductEvent[]> {
    const product = await this.model
      .findById(productId, { outbox: 1, eventSequence: 1 })
      .select('+outbox +eventSequence')
      .lean<Pick<Product, 'outbox' | 'eventSequence'>>()
      .exec();
    const outbox = product?.outbox ?? [];
    const first = (product?.eventSequence ?? outbox.length) - outbox.length + 1;
    return outbox.map((entry, index) => ({ ...entry, sequence: first + index }));
  }

  /**
   * The events were handed to the queue: they leave the outbox. No change of the product:
   * `updatedAt` stays (no catalog version is bumped for it, so a moved one would differ between
   * cached answers and MongoDB until the next stock write).
   */
  async markEventsRelayed(productId: Types.ObjectId, eventIds: string[]): Promise<void> {
    await this.model.updateOne({ _id: productId }, { $pull: { outbox: { eventId: { $in: eventIds } } } }, { timestamps: false }).exec();
  }

  /** Ids of products holding events recorded before `cutoff` (no relay took them: a crash, an outage). */
  async withStaleOutbox(cutoff: Date, limit: number): Promise<Types.ObjectId[]> {
    const stale = await this.model.find({ 'outbox.at': { $lt: cutoff } }, { _id: 1 }).limit(limit).lean().exec();
    return stale.map((product) => product._id);
  }

  // ---- writes: catalog content ----
  //
  // Each content verb records its event (product.created, product.updated, product.deleted) in
  // the product's outbox in the same write as the change, so an event exists exactly when the
  // change happened; a refused or conflicting write records nothing. Stock verbs record none,
  // except `stock.low` once per crossing of LOW_STOCK_THRESHOLD.

  async create(fields: NewProduct): Promise<ProductDocument> {
    const created = await this.model.create({ ...openProduct(fields), outbox: [eventEntry('product.created')], eventSequence: 1 });
    return this.recorded(created._id, await this.changed('content', created));
  }

  /**
   * Takes back a product just created, before anyone could order it (a create that lost a race
   * with the deletion of its category). Products that were live are archived, never removed.
   */
  async removeJustCreated(id: Types.ObjectId): Promise<void> {
    await this.model.deleteOne({ _id: id, stockAllocated: 0 }).exec();
    await this.version.bump('content');
  }

  /** Bulk insert (seeding); with `ordered: false` a failure still leaves the rest inserted. No events: nobody subscribed to an empty shop. */
  async createMany(list: NewProduct[]): Promise<void> {
    try {
      await this.model.insertMany(
        list.map((fields) => openProduct(fields)),
        { ordered: false, lean: true },
      );
    } finally {
      await this.changed('content', true);
    }
  }

  /**
   * Takes the product out of public reads; its status just before (exact: the write's own
   * pre-image), null when it does not exist. `product.deleted` is recorded by the write that
   * archives it: archiving it again changes nothing and records nothing (then the status before
   * is `archived`, as read after the write matched nothing).
   */
  async archive(productId: string): Promise<Pick<Product, 'status'> | null> {
    for (let attempt = 0; attempt < TOKEN_RETRIES; attempt += 1) {
      const before = await this.model
        .findOneAndUpdate({ _id: productId, status: { $ne: 'archived' } }, withEvent({ $set: { status: 'archived' } }, 'product.deleted'), {
          returnDocument: 'before',
          runValidators: true,
          projection: { status: 1 },
        })
        .lean<Pick<Product, 'status'>>()
        .exec();
      if (before) {
        await this.recorded(new Types.ObjectId(productId), await this.changed('content', true));
        return { status: before.status };
      }
      const now = await this.model.findById(productId, { status: 1 }).lean<Pick<Product, 'status'>>().exec();
      if (!now) return null;
      if (now.status === 'archived') return { status: now.status };
      // Put back on sale between the two: archive it now.
    }
    throw new StateConflictError('The product kept changing while it was archived; try again');
  }

  /**
   * One admin save of the product as read (`seen`), in one write: its own fields, one variant's
   * fields (sku, price, images, status, limit) and that variant's counted on-hand quantity. A
   * save that changes anything but stock records one `product.updated`; a count alone is a stock
   * verb and records none (its `stock.low` crossing aside). The count is applied as a change by
   * the difference to the on-hand read, with its stock movement and adjustment, so allocations
   * made meanwhile (which move only allocated and sellable) are kept.
   *
   * The write is conditioned only on what it was computed from, so that checkouts taking stock
   * never make an edit of the content fail: the searchable fields as read when it sets one (the
   * tokens), the variants' revision when it edits a variant (price and price range come from the
   * variants as read), the variant's status, on-hand quantity and "allocated ≤ the count" when it
   * counts, and its sellable stock when it moves the variant in or out of sale. Null when one of
   * them moved meanwhile (read again) or the product is gone.
   *
   * Before and after are exact: the document is returned as it was just before this write
   * (`returnDocument: 'before'`, exact also on the stand-in under racing writes, ARCHITECTURE.md),
   * and the after is that document with this write's own sets and increments applied, so a write
   * landing just after this one shows in neither.
   */
  async revise(seen: ProductDocument, revision: ProductRevision, at = new Date()): Promise<Revised | null> {
    const current = revision.variantId && seen.variants.find((variant) => variant._id.equals(revision.variantId!));
    if (revision.variantId && !current) return null;
    // Only what differs from what was read: a save of the values already stored is no change
    // (no write, no product.updated, no audit entry).
    const fields = changedOf(definedOf(revision.fields ?? {}), seen);
    const edit = current ? changedOf(definedOf(revision.variant ?? {}), current) : {};
    const set: Record<string, unknown> = { ...fields };
    const inc: Record<string, number> = {};
    const condition: Record<string, unknown> = { _id: seen._id };

    const searchable = SEARCHABLE_FIELDS.filter((field) => field in fields);
    if (searchable.length > 0) {
      const read = pickSearchable(seen);
      Object.assign(condition, read);
      Object.assign(set, derivedFieldsOf({ ...read, ...fields }));
    }

    const variantId = current ? current._id : undefined;
    const edits = current !== undefined && Object.keys(edit).length > 0;
    const countDelta = current && revision.count ? revision.count.onHand - current.stockOnHand : 0;
    const element: Record<string, unknown> = {};
    if (current && edits) {
      const next = { ...plain(current), ...edit, ...(edit.sku !== undefined && { skuKey: skuKeyOf(edit.sku) }) };
      const variants = seen.variants.map((variant) => (variant._id.equals(current._id) ? next : variant));
      Object.assign(set, priceSummaryOf(variants, seen.priceRange ?? { min: seen.price, max: seen.price }));
      for (const field of VARIANT_EDIT_FIELDS) if (field in next) set[`variants.$[v].${field}`] = next[field];
      condition.variantsRevision = seen.variantsRevision ?? 0;
      inc.variantsRevision = 1;
    }
    if (current) {
      const active = current.status === 'active';
      const willBeActive = (edit.status ?? current.status) === 'active';
      const statusMoves = active !== willBeActive;
      // The product's `stock` sums the sellable units of active variants.
      let productDelta = active ? countDelta : 0;
      if (statusMoves) {
        element.stock = current.stock;
        productDelta = (willBeActive ? current.stock + countDelta : 0) - (active ? current.stock : 0);
      }
      if (countDelta !== 0) {
        Object.assign(element, { status: current.status, stockOnHand: current.stockOnHand, stockAllocated: { $lte: revision.count!.onHand } });
        Object.assign(inc, { 'variants.$[v].stockOnHand': countDelta, 'variants.$[v].stock': countDelta, stockOnHand: countDelta });
      }
      if (productDelta !== 0) inc.stock = productDelta;
      if (Object.keys(element).length > 0) condition.variants = { $elemMatch: { _id: current._id, ...element } };
    }

    const content = Object.keys(fields).length > 0 || edits;
    // Nothing to write (a count equal to what is on hand): the product stays as read.
    if (!content && countDelta === 0) return { before: seen, after: seen };
    set.updatedAt = at;
    const written: ProductUpdate = { $set: set, ...(Object.keys(inc).length > 0 && { $inc: inc }) };
    // The count's movement (who counted, and the reason) goes outside `inc`: the after (afterOf) does not show it.
    const update =
      countDelta !== 0 ? withMovement(written, { ...movement(at, current!._id, 'count', countDelta), actor: new Types.ObjectId(revision.count!.by), reason: 'Stock count' }) : written;
    const before = await this.model
      .findOneAndUpdate(condition, content ? withEvent(update, 'product.updated') : update, {
        returnDocument: 'before',
        runValidators: true,
        // `updatedAt` is set above, so that the after derived below is the stored one.
        timestamps: false,
        // Only when the update names the variant: an unused array filter is an error.
        ...(variantId && (edits || countDelta !== 0) && { arrayFilters: [{ 'v._id': variantId }] }),
      })
      .exec();
    if (!before) return null;
    if (variantId && countDelta !== 0) {
      await this.followLowStock({ productId: seen._id.toHexString(), variantId: variantId.toHexString() }, sellableOf(before, variantId.toHexString()), countDelta);
    }
    await this.recorded(seen._id, content);
    await this.changed(content ? 'content' : stockChangeFrom(before, variantId!.toHexString(), countDelta), true, [seen._id]);
    return { before, after: this.afterOf(before, variantId, set, inc) };
  }

  /**
   * The product right after a write, from the document just before it (`returnDocument:
   * 'before'`) and the write's own `$set`, `$inc` (`$[v]` naming variant `variantId`) and the
   * pushes to selected lists (`push`); what it pushed to unselected ones (movements, outbox) is
   * not part of the documents read.
   */
  private afterOf(
    before: ProductDocument,
    variantId: Types.ObjectId | undefined,
    set: Record<string, unknown>,
    inc: Record<string, number>,
    push: Record<string, unknown[]> = {},
  ): ProductDocument {
    const after = this.model.hydrate(before.toObject({ depopulate: true, versionKey: false }));
    const index = variantId ? before.variants.findIndex((variant) => variant._id.equals(variantId)) : -1;
    const resolved = (path: string) => path.replace('$[v]', String(index));
    for (const [path, value] of Object.entries(set)) after.set(resolved(path), value);
    for (const [path, delta] of Object.entries(inc)) after.set(resolved(path), ((after.get(resolved(path)) as number | undefined) ?? 0) + delta);
    for (const [path, items] of Object.entries(push)) (after.get(path) as unknown[]).push(...items);
    return after;
  }

  /** Moves every product of one category to another, each with its product.updated event; returns how many moved. */
  async moveCategory(fromSlug: string, toSlug: string): Promise<number> {
    return this.changed('content', await this.updateMany({ category: fromSlug }, { $set: { category: toSlug } }, 'product.updated'));
  }

  /**
   * Appends images to a product that is not archived and has room for all of them at once; the
   * product just before and after (exact, as `revise`'s), null when it cannot take them
   * (archived, full, or missing: the caller tells which).
   */
  async attachImages(productId: string, images: ProductImage[], maxImages: number, at = new Date()): Promise<Revised | null> {
    const set = { updatedAt: at };
    const before = await this.model
      .findOneAndUpdate(
        {
          _id: productId,
          status: { $ne: 'archived' },
          // Room for all of them: the array has no element at the index that would overflow.
          [`images.${maxImages - images.length}`]: { $exists: false },
        },
        withEvent({ $set: set, $push: { images: { $each: images } } }, 'product.updated'),
        { returnDocument: 'before', runValidators: true, timestamps: false },
      )
      .exec();
    if (!before) return null;
    await this.recorded(before._id, await this.changed('content', true));
    return { before, after: this.afterOf(before, undefined, set, {}, { images }) };
  }

  /** Removes one image; returns the product as it was before (to find the image's key), null when product or image is missing. */
  async removeImage(productId: string, imageId: string): Promise<ProductDocument | null> {
    const before = await this.model
      .findOneAndUpdate({ _id: productId, 'images._id': imageId }, withEvent({ $pull: { images: { _id: imageId } } }, 'product.updated'), { returnDocument: 'before' })
      .exec();
    return this.recorded(before?._id, await this.changed('content', before));
  }

  /**
   * Empties the image list of an archived product; the product as it was before, null when it is
   * missing or not archived. No event: receivers were told it is deleted.
   */
  async removeImagesOfArchived(productId: string): Promise<ProductDocument | null> {
    const before = await this.model.findOneAndUpdate({ _id: productId, status: 'archived' }, { $set: { images: [] } }, { returnDocument: 'before' }).exec();
    return this.changed('content', before);
  }

  // ---- writes: variants ----

  /**
   * Adds a variant to the product as read (`seen`): the product's price range follows in the
   * same write, conditioned on the variants being as read (their revision). The product just
   * before and after (exact, as `revise`'s); null when they changed meanwhile (read again) or the
   * product is gone.
   */
  async addVariant(seen: ProductDocument, fields: NewVariant, at = new Date()): Promise<Revised | null> {
    const variant = openVariant(fields);
    const set = { ...priceSummaryOf([...seen.variants, variant], seen.priceRange ?? { min: seen.price, max: seen.price }), updatedAt: at };
    const inc = { variantsRevision: 1, stock: variant.status === 'active' ? variant.stock : 0, stockOnHand: variant.stockOnHand };
    const before = await this.model
      .findOneAndUpdate(
        { _id: seen._id, variantsRevision: seen.variantsRevision ?? 0 },
        withEvent(withMovement({ $push: { variants: variant }, $set: set, $inc: inc }, movement(at, variant._id, 'opening', variant.stockOnHand)), 'product.updated'),
        { returnDocument: 'before', runValidators: true, timestamps: false },
      )
      .exec();
    if (!before) return null;
    await this.recorded(before._id, await this.changed('content', true));
    return { before, after: this.afterOf(before, undefined, set, inc, { variants: [variant] }) };
  }

  /**
   * Gives a product from before variants its default variant: the product's own id, price and
   * stock (on hand and the allocations of its open orders), no options. Conditioned on the
   * product still having no variants and the counters being as read, so two processes starting
   * at once, or an old process still selling, cannot make it twice or lose a sale.
   */
  async giveDefaultVariant(legacy: LegacyProduct, sku: string, at = new Date()): Promise<boolean> {
    const onHand = legacy.stockOnHand ?? legacy.stock;
    const allocated = legacy.stockOnHand === undefined ? 0 : (legacy.stockAllocated ?? 0);
    const allocations = legacy.stockOnHand === undefined ? [] : (legacy.allocations ?? []);
    const opening = [movement(at, legacy._id, 'opening', onHand), ...allocations.map((held) => ({ ...movement(at, legacy._id, 'allocation', -held.quantity), orderId: held.orderId }))];
    const variant: ProductVariant = {
      _id: legacy._id,
      sku,
      skuKey: skuKeyOf(sku),
      options: {},
      price: legacy.price,
      stock: onHand - allocated,
      stockOnHand: onHand,
      stockAllocated: allocated,
      allocations,
      imageIds: [],
      status: 'active',
    };
    const result = await this.model
      .updateOne(
        {
          _id: legacy._id,
          variants: { $exists: false },
          price: legacy.price,
          stock: legacy.stock,
          stockOnHand: legacy.stockOnHand ?? { $exists: false },
          stockAllocated: legacy.stockAllocated ?? { $exists: false },
        },
        {
          $set: {
            variants: [variant],
            options: [],
            variantsRevision: 0,
            priceRange: { min: legacy.price, max: legacy.price },
            stock: variant.stock,
            stockOnHand: onHand,
            stockAllocated: allocated,
            stockMovements: opening,
            stockMovementSequence: opening.length,
          },
          $unset: { allocations: '' },
        },
        { strict: false },
      )
      .exec();
    // Answers gain the variant: content.
    return this.changed('content', result.matchedCount > 0);
  }

  /** Up to `limit` products from before variants, as stored (with their product-level allocations). */
  legacyProducts(limit: number): Promise<LegacyProduct[]> {
    return this.model.collection
      .find<LegacyProduct>({ variants: { $exists: false } }, { projection: { _id: 1, slug: 1, price: 1, stock: 1, stockOnHand: 1, stockAllocated: 1, allocations: 1 } })
      .limit(limit)
      .toArray();
  }

  async skuTaken(sku: string): Promise<boolean> {
    return (await this.model.exists({ 'variants.skuKey': skuKeyOf(sku) })) !== null;
  }

  /**
   * The unique index on `variants.skuKey`. Not declared on the schema: the index would be built
   * at connection time, before products from before variants have a sku, and every one of them
   * would count as the same missing key (the stand-in ignores `sparse` and partial filters on
   * such an index). Created once every product has its variants; creating it again is a no-op.
   */
  async ensureSkuIndex(): Promise<void> {
    await this.model.collection.createIndex({ 'variants.skuKey': 1 }, { unique: true, name: SKU_INDEX });
  }

  // ---- writes: stock ----
  //
  // Each variant keeps `stock` (sellable) = `stockOnHand` − `stockAllocated`, and the product
  // keeps their sums (its `stock` over active variants only), every verb below moving both in
  // one conditional `$inc` on the product document. Each allocation is listed on its variant as
  // `{orderId, quantity}`, which makes every verb idempotent per order: allocating twice for one
  // order takes once, and releasing or shipping an allocation that is gone does nothing. The
  // stock movement is pushed by that same write (with `stockMovementSequence` + 1), so it is
  // recorded exactly when the stock moved; StockMovementRelay moves it to `stock_movements` later.

  /** Takes `quantity` units of the variant for the order while that many are sellable; true also when the order already holds them. */
  async allocate(line: VariantRef, orderId: Types.ObjectId, quantity: number, at = new Date()): Promise<boolean> {
    const variantId = new Types.ObjectId(line.variantId);
    const before = (await this.collection().findOneAndUpdate(
      {
        _id: new Types.ObjectId(line.productId),
        status: 'active',
        variants: { $elemMatch: { _id: variantId, status: 'active', stock: { $gte: quantity }, 'allocations.orderId': { $ne: orderId } } },
      },
      stampedForDriver(
        withMovement(
          {
            $inc: { 'variants.$[v].stock': -quantity, 'variants.$[v].stockAllocated': quantity, stock: -quantity, stockAllocated: quantity },
            $push: { 'variants.$[v].allocations': { orderId, quantity } },
          },
          { ...movement(at, variantId, 'allocation', -quantity), orderId },
        ),
        at,
      ),
      // 'before', not 'after': under racing writes the stand-in can answer two callers the same
      // 'after' figures (ARCHITECTURE.md), which would hide a crossing; 'before' is exact.
      { returnDocument: 'before', arrayFilters: [{ 'v._id': variantId }], projection: STOCK_FIGURES },
    )) as StockFigures | null;
    if (before) {
      await this.followLowStock(line, sellableOf(before, line.variantId), -quantity);
      return this.changed(stockChangeFrom(before, line.variantId, -quantity), true, [line.productId]);
    }
    return this.exists({ _id: line.productId, variants: { $elemMatch: { _id: line.variantId, 'allocations.orderId': orderId } } });
  }

  /**
   * Allocates several lines for the order in one round trip (one `bulkWrite`), but only lines
   * that cross nothing: each update is conditioned on the variant keeping more than
   * LOW_STOCK_THRESHOLD sellable units after it (so neither `stock.low` nor sold out can be
   * crossed, the threshold being ≥ 0) and on the product keeping some. Which of them took is not
   * told by a bulk write, only how many: true when every line took. Otherwise the caller allocates
   * line by line with `allocate` (exact about crossings; a line taken here counts as held there).
   */
  async allocateClearOfThresholds(lines: (VariantRef & { quantity: number })[], orderId: Types.ObjectId, at = new Date()): Promise<boolean> {
    const threshold = this.config.get('LOW_STOCK_THRESHOLD');
    const result = await this.collection().bulkWrite(
      lines.map((line) => {
        const variantId = new Types.ObjectId(line.variantId);
        return {
          updateOne: {
            filter: {
              _id: new Types.ObjectId(line.productId),
              status: 'active',
              stock: { $gt: line.quantity },
              variants: { $elemMatch: { _id: variantId, status: 'active', stock: { $gt: threshold + line.quantity }, 'allocations.orderId': { $ne: orderId } } },
            },
            update: stampedForDriver(
              withMovement(
                {
                  $inc: { 'variants.$[v].stock': -line.quantity, 'variants.$[v].stockAllocated': line.quantity, stock: -line.quantity, stockAllocated: line.quantity },
                  $push: { 'variants.$[v].allocations': { orderId, quantity: line.quantity } },
                },
                { ...movement(at, variantId, 'allocation', -line.quantity), orderId },
              ),
              at,
            ),
            arrayFilters: [{ 'v._id': variantId }],
          },
        };
      }),
      { ordered: false },
    );
    // Nothing crossed (see the conditions): the figures moved, no answer's availability.
    await this.changed('figures', result.modifiedCount > 0, lines.map((line) => line.productId));
    return result.modifiedCount === lines.length;
  }

  /** Gives the order's allocation back to the variant's sellable stock; false when there was none (already given back). */
  async release(line: VariantRef, orderId: Types.ObjectId, quantity: number, at = new Date()): Promise<boolean> {
    // An archived variant's units do not count in the product's `stock`: which update applies
    // depends on the variant's status, and its condition says which one matched.
    const productId = new Types.ObjectId(line.productId);
    const variantId = new Types.ObjectId(line.variantId);
    for (const status of ['active', 'archived'] as const) {
      const before = (await this.collection().findOneAndUpdate(
        { _id: productId, variants: { $elemMatch: { _id: variantId, status, 'allocations.orderId': orderId } } },
        stampedForDriver(
          withMovement(
            {
              $inc: { 'variants.$[v].stock': quantity, 'variants.$[v].stockAllocated': -quantity, stock: status === 'active' ? quantity : 0, stockAllocated: -quantity },
              $pull: { 'variants.$[v].allocations': { orderId } },
            },
            { ...movement(at, variantId, 'release', quantity), orderId },
          ),
          at,
        ),
        { returnDocument: 'before', arrayFilters: [{ 'v._id': variantId }], projection: STOCK_FIGURES },
      )) as StockFigures | null;
      if (before) {
        await this.followLowStock(line, sellableOf(before, line.variantId), quantity);
        return this.changed(stockChangeFrom(before, line.variantId, quantity), true, [line.productId]);
      }
    }
    await this.assertMigrated(line.productId);
    return false;
  }

  /** The order's units leave the shelf and the allocation; the sellable quantity is unchanged. */
  async ship(line: VariantRef, orderId: Types.ObjectId, quantity: number, at = new Date()): Promise<boolean> {
    const variantId = new Types.ObjectId(line.variantId);
    const result = await this.collection().updateOne(
      { _id: new Types.ObjectId(line.productId), variants: { $elemMatch: { _id: variantId, 'allocations.orderId': orderId } } },
      stampedForDriver(
        withMovement(
          {
            $inc: { 'variants.$[v].stockOnHand': -quantity, 'variants.$[v].stockAllocated': -quantity, stockOnHand: -quantity, stockAllocated: -quantity },
            $pull: { 'variants.$[v].allocations': { orderId } },
          },
          { ...movement(at, variantId, 'shipment', -quantity), orderId },
        ),
        at,
      ),
      { arrayFilters: [{ 'v._id': variantId }] },
    );
    // Sellable is unchanged; `updatedAt` moved.
    if (result.matchedCount > 0) return this.changed('figures', true, [line.productId]);
    await this.assertMigrated(line.productId);
    return false;
  }

  /**
   * A product from before variants that the API has not migrated yet (a worker of the new
   * version can run before the API did): its allocation is still on the product, so "nothing to
   * release or ship" would be wrong and final. Thrown, so that the effect is retried later.
   */
  private async assertMigrated(productId: string): Promise<void> {
    if (await this.exists({ _id: productId, variants: { $exists: false } })) throw new ProductNotMigratedError(productId);
  }

  /**
   * A receipt (+) or write-off (−) of the variant's on-hand units; a write-off only of units
   * nobody holds. The product just before and just after this write, exact as `revise`'s; null
   * when refused or missing.
   */
  async adjust(line: VariantRef, delta: number, reason: string, by: string, at = new Date()): Promise<Revised | null> {
    const variantId = new Types.ObjectId(line.variantId);
    for (const status of ['active', 'archived'] as const) {
      const set = { updatedAt: at };
      const inc = { 'variants.$[v].stockOnHand': delta, 'variants.$[v].stock': delta, stockOnHand: delta, stock: status === 'active' ? delta : 0 };
      const before = await this.model
        .findOneAndUpdate(
          { _id: line.productId, variants: { $elemMatch: { _id: variantId, status, ...(delta < 0 && { stock: { $gte: -delta } }) } } },
          withMovement(
            { $set: set, $inc: inc },
            { ...movement(at, line.variantId, 'adjustment', delta), actor: new Types.ObjectId(by), reason },
          ),
          { returnDocument: 'before', timestamps: false, arrayFilters: [{ 'v._id': variantId }] },
        )
        .exec();
      if (before) {
        await this.followLowStock(line, sellableOf(before, line.variantId), delta);
        await this.changed(stockChangeFrom(before, line.variantId, delta), true, [line.productId]);
        return { before, after: this.afterOf(before, variantId, set, inc) };
      }
    }
    return null;
  }

  /**
   * `stock.low`, once per crossing: a write that took the variant's sellable stock from above
   * LOW_STOCK_THRESHOLD to or below it records the event with a second write conditioned on the
   * variant's `lowStockSignalled` flag being unset, setting it; a write that brought it back
   * above clears the flag (conditioned on the stock still being above). `before` is the
   * variant's sellable stock before the write that moved it by `delta`: from 'before' figures it
   * is exact under racing sales, so exactly one of them sees the crossing.
   */
  private async followLowStock(line: VariantRef, before: number | undefined, delta: number): Promise<void> {
    if (before === undefined) return;
    const threshold = this.config.get('LOW_STOCK_THRESHOLD');
    const after = before + delta;
    const variantId = new Types.ObjectId(line.variantId);
    if (before > threshold && after <= threshold) {
      const result = await this.model
        .updateOne(
          { _id: line.productId, variants: { $elemMatch: { _id: variantId, lowStockSignalled: { $ne: true } } } },
          withEvent({ $set: { 'variants.$[v].lowStockSignalled': true } }, 'stock.low', { variantId, stock: after }),
          // The flag is bookkeeping of the stock write before it: `updatedAt` stays that write's.
          { arrayFilters: [{ 'v._id': variantId }], timestamps: false },
        )
        .exec();
      await this.recorded(result.matchedCount > 0 ? new Types.ObjectId(line.productId) : undefined, true);
    } else if (before <= threshold && after > threshold) {
      await this.model
        .updateOne(
          { _id: line.productId, variants: { $elemMatch: { _id: variantId, lowStockSignalled: true, stock: { $gt: threshold } } } },
          { $set: { 'variants.$[v].lowStockSignalled': false } },
          { arrayFilters: [{ 'v._id': variantId }], timestamps: false },
        )
        .exec();
    }
  }

  // ---- the stock movement buffer (relayed to `stock_movements` by StockMovementRelay) ----
  //
  // The relay copies a buffer's movements by `_id`, then pulls exactly those ids: a copy made
  // twice (two relays, or a crash between copy and pull) is one, and the next pass pulls what a
  // crash left. Readers merge the collection with the buffer, reading the buffer first (a
  // movement pulled after that read was copied before it was pulled).

  /** The movements in the product's buffer, oldest first, each with its sequence; null when the product does not exist. */
  async bufferedStockMovements(productId: string | Types.ObjectId): Promise<NumberedMovement[] | null> {
    const product = await this.model
      .findById(productId, { stockMovements: 1, stockMovementSequence: 1 })
      .select('+stockMovements +stockMovementSequence')
      .lean<Pick<Product, 'stockMovements' | 'stockMovementSequence'>>()
      .exec();
    return product ? numberedMovementsOf(product) : null;
  }

  /**
   * Products whose buffer holds movements written at or before `now`, with their buffers (what
   * the relay moves): up to `limit` products and, beyond the first, `maxMovements` movements in
   * all (a buffer from before the relay can hold a product's whole history). `more`: products
   * were left for the next batch.
   */
  async withBufferedStockMovements(now: Date, limit: number, maxMovements: number): Promise<{ buffers: StockMovementBuffer[]; more: boolean }> {
    const sizes = await this.model
      .aggregate<{ _id: Types.ObjectId; length: number }>([
        { $match: { 'stockMovements.at': { $lte: now } } },
        { $limit: limit },
        { $project: { length: { $size: '$stockMovements' } } },
      ])
      .exec();
    const ids: Types.ObjectId[] = [];
    let movements = 0;
    for (const { _id, length } of sizes) {
      if (ids.length > 0 && movements + length > maxMovements) break;
      ids.push(_id);
      movements += length;
    }
    if (ids.length === 0) return { buffers: [], more: false };
    const products = await this.model
      .find({ _id: { $in: ids } }, { stockMovements: 1, stockMovementSequence: 1 })
      .select('+stockMovements +stockMovementSequence')
      .lean<Pick<Product, '_id' | 'stockMovements' | 'stockMovementSequence'>[]>()
      .exec();
    const buffers = products
      .filter((product) => (product.stockMovements ?? []).length > 0)
      .map((product) => ({
        productId: product._id,
        movements: numberedMovementsOf(product),
        seen: { sequence: product.stockMovementSequence, length: (product.stockMovements ?? []).length },
      }));
    return { buffers, more: sizes.length === limit || ids.length < sizes.length };
  }

  /**
   * Numbers a buffer read with movements from before ids and sequences: each of them gets an
   * `_id`, and the count moves up by what it lacked, to what `numberedMovementsOf` assumed (so
   * readers see the same sequences before and after). Nothing is pulled from a buffer holding
   * unnumbered movements, so while its first movement is the one read, every position read still
   * holds the movement read there, whatever was pushed since (sales go on meanwhile: the count
   * is moved by `$inc`, not set); the first unnumbered one still lacking an id means no other
   * relay numbered it. False when either changed (read again).
   */
  async numberStockMovements(buffer: StockMovementBuffer): Promise<boolean> {
    const ids: Record<string, Types.ObjectId> = {};
    buffer.movements.forEach((movement, index) => {
      if (!movement._id) ids[`stockMovements.${index}._id`] = new Types.ObjectId();
    });
    const firstUnnumbered = buffer.movements.findIndex((movement) => !movement._id);
    if (firstUnnumbered < 0) return true;
    const lacking = Math.max(0, buffer.seen.length - (buffer.seen.sequence ?? 0));
    const result = await this.model
      .updateOne(
        {
          _id: buffer.productId,
          // The first movement is the one read: its id, or (one from before ids, which nothing
          // removes unnumbered) still there without one; not an emptied buffer.
          ...(buffer.movements[0]._id ? { 'stockMovements.0._id': buffer.movements[0]._id } : { 'stockMovements.0.at': { $exists: true }, 'stockMovements.0._id': { $exists: false } }),
          [`stockMovements.${firstUnnumbered}._id`]: { $exists: false },
        },
        { $set: ids, ...(lacking > 0 && { $inc: { stockMovementSequence: lacking } }) },
        // Stock did not move: `updatedAt` (and what caches compare) stays.
        { timestamps: false },
      )
      .exec();
    return result.matchedCount > 0;
  }

  /** These movements are in `stock_movements` now: they leave the buffers (one round trip for all the products). */
  async dropRelayedStockMovements(relayed: { productId: Types.ObjectId; ids: Types.ObjectId[] }[]): Promise<void> {
    if (relayed.length === 0) return;
    await this.model.bulkWrite(
      relayed.map(({ productId, ids }) => ({
        updateOne: { filter: { _id: productId }, update: { $pull: { stockMovements: { _id: { $in: ids } } } }, timestamps: false },
      })),
      { ordered: false, timestamps: false },
    );
  }

  // ---- internals of the content writes ----

  /**
   * Applies the update to every matching product; returns how many were updated. With a
   * searchable field, each product is written with its own tokens and its own condition, and
   * products edited meanwhile are read again on the next pass.
   */
  private async updateMany(filter: ProductFilter, update: ProductUpdate, event: ProductEventType): Promise<number> {
    const searchable = searchableSetOf(update);
    if (!searchable) {
      // One update for many products would give them one event id: record per product instead.
      if (event) throw new Error('ProductStore.updateMany records events only through the per-product path');
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
                .updateOne(conditionOn(filter, current), withEvent(withTokens(update, { ...pickSearchable(current), ...searchable }), event), { runValidators: true })
                .exec();
              if (result.matchedCount > 0) {
                done.push(current._id);
                await this.recorded(current._id, true);
              }
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
   * named by every verb (CatalogChange): content (titles, prices, categories, images, status,
   * variants added or archived) is what cached catalog answers are made of; stock and ratings
   * are laid over cached answers (catalog-figures.ts), so their writes only move the counters
   * that say so, and name the products `moved` (CatalogVersion.bump): only the answers showing
   * them read their figures again.
   */
  private async changed<T>(change: CatalogChange, outcome: T, moved?: readonly (string | Types.ObjectId)[]): Promise<T> {
    if (outcome) await this.version.bump(change, moved);
    return outcome;
  }

  /**
   * After a write that recorded an event on product `productId` (unset: none was): the relay
   * hands it over. Not awaited: the answer must not wait for Redis (in an outage the queue's add
   * waits for it to come back, and catalog writes go on); the event is safe in the outbox, and
   * the relay logs a failure and leaves it to the sweep.
   */
  private async recorded<T>(productId: Types.ObjectId | undefined, outcome: T): Promise<T> {
    if (productId && outcome && this.relay) void this.relay(productId);
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
    return this.changed('ranking', true, [productId]);
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
    return this.changed('ranking', result.matchedCount > 0, [productId]);
  }

  private async settleRatingAverage(productId: string | Types.ObjectId): Promise<void> {
    const now = await this.model.findById(productId, { ratingSum: 1, ratingCount: 1 }).lean<StoredRating>().exec();
    if (!now) return;
    await this.model
      .updateOne({ _id: productId, ratingSum: now.ratingSum, ratingCount: now.ratingCount }, { $set: { ratingAverage: ratingAverageOf(now.ratingSum, now.ratingCount) } })
      .exec();
  }
}

export class ProductNotMigratedError extends Error {
  constructor(productId: string) {
    super(`Product ${productId} has no variants yet: the API migrates it at start-up; try again then`);
    this.name = 'ProductNotMigratedError';
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

/** An event waiting in a product's outbox, with its place among the product's events. */
export type PendingProductEvent = ProductOutboxEntry & { sequence: number };

/** A new outbox entry: a fresh id, the time, and what `stock.low` carries. */
function eventEntry(type: ProductEventType, extra: Pick<ProductOutboxEntry, 'variantId' | 'stock'> = {}): ProductOutboxEntry {
  return { eventId: new Types.ObjectId().toHexString(), type, at: new Date(), ...extra };
}

/** The update that also records event `type`: its entry pushed and the product's event count moved (see pendingEvents). */
function withEvent(update: ProductUpdate, type: ProductEventType, extra?: Pick<ProductOutboxEntry, 'variantId' | 'stock'>): ProductUpdate {
  return { ...update, $push: { ...update.$push, outbox: eventEntry(type, extra) }, $inc: { ...update.$inc, eventSequence: 1 } };
}

/** The variant's sellable stock in these figures (read just before a write); undefined when absent. */
function sellableOf(figures: StockFigures, variantId: string): number | undefined {
  return figures.variants?.find((each) => each._id.toHexString() === variantId)?.stock;
}

/** The fields InventoryService.forSale reads (ProductStore.forSaleFields). */
const FOR_SALE_PROJECTION = {
  title: 1,
  category: 1,
  taxClass: 1,
  status: 1,
  maxPerOrder: 1,
  'images._id': 1,
  'images.url': 1,
  'variants._id': 1,
  'variants.sku': 1,
  'variants.options': 1,
  'variants.price': 1,
  'variants.status': 1,
  'variants.stock': 1,
  'variants.maxPerOrder': 1,
  'variants.imageIds': 1,
} as const;
export type ForSaleFields = Pick<Product, '_id' | 'title' | 'category' | 'taxClass' | 'status' | 'maxPerOrder'> & {
  images: Pick<ProductImage, '_id' | 'url'>[];
  variants: Pick<ProductVariant, '_id' | 'sku' | 'options' | 'price' | 'status' | 'stock' | 'maxPerOrder' | 'imageIds'>[];
};

/** What a stock verb reads back from its own write: the sellable quantities just before it. */
const STOCK_FIGURES = { stock: 1, 'variants._id': 1, 'variants.stock': 1 } as const;
type StockFigures = { stock: number; variants?: { _id: Types.ObjectId; stock: number }[] };

/**
 * A stock write's change, from the quantities just before it (what racing writes get exactly,
 * `returnDocument: 'before'`) and the change `delta` of the variant's sellable units:
 * `availability` when the variant or the product crossed between sold out and available, else
 * only `figures`.
 */
function stockChangeFrom(before: StockFigures, variantId: string, delta: number): CatalogChange {
  const variant = before.variants?.find((each) => each._id.toHexString() === variantId);
  const crossed = (stock: number) => crossesAvailability(stock, stock + delta);
  // A variant not found back: assume the widest change of stock.
  return !variant || crossed(variant.stock) || crossed(before.stock) ? 'availability' : 'figures';
}

/** A new movement: its id is made here, when the write is built, so that copying it to `stock_movements` twice makes one. */
function movement(at: Date, variantId: string | Types.ObjectId, kind: StockMovementKind, delta: number): StockMovement {
  return { _id: new Types.ObjectId(), at, variantId: new Types.ObjectId(variantId), kind, delta };
}

/**
 * The update that also records stock movement `entry` in the product's buffer: pushed, and the
 * product's movement count moved by 1 in the same update (see Product.stockMovementSequence),
 * so that every movement's sequence follows from its place. The only way a verb records one.
 */
function withMovement(update: ProductUpdate, entry: StockMovement): ProductUpdate {
  return { ...update, $push: { ...update.$push, stockMovements: entry }, $inc: { ...update.$inc, stockMovementSequence: 1 } };
}

/**
 * A stock verb's update (built through `withMovement`) as the driver is given it: with the
 * `$set` of `updatedAt` that the schema's timestamps add to every update Mongoose sends (the
 * driver adds none), at the write's time.
 */
function stampedForDriver(update: ProductUpdate, at: Date): mongo.UpdateFilter<mongo.Document> {
  return { ...update, $set: { ...update.$set, updatedAt: at } } as mongo.UpdateFilter<mongo.Document>;
}

/** A new variant: its opening stock on hand, all of it sellable, its sku's key derived. */
function openVariant(fields: NewVariant): ProductVariant {
  return {
    _id: fields._id ?? new Types.ObjectId(),
    sku: fields.sku,
    skuKey: skuKeyOf(fields.sku),
    options: fields.options ?? {},
    price: fields.price,
    stock: fields.stockOnHand,
    stockOnHand: fields.stockOnHand,
    stockAllocated: 0,
    allocations: [],
    imageIds: fields.imageIds ?? [],
    status: fields.status ?? 'active',
    ...(fields.maxPerOrder !== undefined && { maxPerOrder: fields.maxPerOrder }),
  };
}

/** A new product with everything the store derives: tokens, variants' keys, price, price range and stock sums. */
function openProduct(fields: NewProduct): Omit<Product, 'createdAt' | 'updatedAt' | 'ratingAverage' | 'ratingCount' | 'ratingSum' | 'images' | EVENT_FIELDS> & Partial<Pick<Product, 'images'>> {
  const variants = fields.variants.map(openVariant);
  const firstPrice = variants[0]?.price ?? 0;
  const at = new Date();
  const openings = variants.filter((variant) => variant.stockOnHand > 0).map((variant) => movement(at, variant._id, 'opening', variant.stockOnHand));
  return {
    ...fields,
    _id: fields._id ?? new Types.ObjectId(),
    variants,
    variantsRevision: 0,
    ...priceSummaryOf(variants, { min: firstPrice, max: firstPrice }),
    ...stockSummaryOf(variants),
    stockMovements: openings,
    stockMovementSequence: openings.length,
    ...derivedFieldsOf(fields),
  };
}

/** A stock movement with its place among the product's movements: 1, 2, … in the order of the writes that made them. */
export type NumberedMovement = StockMovement & { sequence: number };

/** One product's buffer as the relay read it, and the figures its numbering is conditioned on. */
export interface StockMovementBuffer {
  productId: Types.ObjectId;
  movements: NumberedMovement[];
  seen: { sequence?: number; length: number };
}

/**
 * The buffer's movements with their sequences: the buffer holds the last `length` of the
 * `stockMovementSequence` movements recorded (see Product.stockMovementSequence). A product from
 * before the count (or with movements written without it) counts as numbered up to at least
 * the buffer's length, which is what the relay's numbering makes it.
 */
export function numberedMovementsOf(product: Partial<Pick<Product, 'stockMovements' | 'stockMovementSequence'>>): NumberedMovement[] {
  const buffer = product.stockMovements ?? [];
  const first = Math.max(product.stockMovementSequence ?? 0, buffer.length) - buffer.length + 1;
  return buffer.map((movement, index) => ({ ...movement, sequence: first + index }));
}

/** A subdocument as a plain object (the fields as stored). */
function plain(variant: ProductVariant): ProductVariant {
  const maybeDocument = variant as ProductVariant & { toObject?: () => ProductVariant };
  return maybeDocument.toObject ? maybeDocument.toObject() : { ...variant };
}

function definedOf<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The fields whose value differs from the stored one (compared as JSON: ids, arrays and dates alike). */
function changedOf<T extends object>(fields: T, stored: object): Partial<T> {
  const now = stored as Record<string, unknown>;
  return Object.fromEntries(Object.entries(fields).filter(([field, value]) => JSON.stringify(now[field]) !== JSON.stringify(value))) as Partial<T>;
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
