import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { InvalidInputError, StateConflictError, isDuplicateKeyError, isObjectIdString, NotFoundError, Paginated, skipFor } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { slugify } from './tokenize';
import { CategoriesService } from './categories.service';
import { variantOf } from './inventory.service';
import { AdminProductListQueryDto, CreateProductDto, CreateVariantDto, UpdateProductDto, UpdateVariantDto } from './dto/product.dto';
import { NewVariant, NumberedMovement, ProductFilter, ProductStore, Revised, SKU_INDEX, VariantEdit } from './products.store';
import { mergedNewestFirst } from './stock-movements/merged-movements';
import { MovementPage, StockMovementStore } from './stock-movements/stock-movement.store';
import { StockBelowAllocatedError } from './stock.errors';
import { ProductDocument, ProductVariant } from './schemas/product.schema';
import { assertDistinctVariants, assertOptionsWellFormed, assertVariantOptions, SkuTakenError } from './variants';

const SLUG_ATTEMPTS = 6;
/** Derived or bulky fields a product's audit entry leaves out (the stock numbers stay). */
const PRODUCT_AUDIT_OMIT = ['searchTokens', 'titleTokens', 'stockAdjustments', 'stockMovements', 'stockMovementSequence'] as const;
/** Product and variant writes re-read and retry this often when another write moved what they depend on meanwhile. */
const PRODUCT_WRITE_ATTEMPTS = 5;

@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductStore,
    private readonly categories: CategoriesService,
    private readonly audit: AuditLog,
    private readonly movements: StockMovementStore,
  ) {}

  /** `actor` is the admin (audit log); null only for seeding, which is no admin write. */
  async create(dto: CreateProductDto, actor: AuditActor | null): Promise<ProductDocument> {
    await this.categories.assertExists(dto.category);
    const { price, stock, stockOnHand: _sameCount, sku, options = [], variants, ...rest } = dto;
    if (variants && (price !== undefined || stock !== undefined || sku !== undefined)) {
      throw new InvalidInputError('Give either variants, or price and stock (and sku) of the one default variant');
    }
    assertOptionsWellFormed(options);
    for (const variant of variants ?? []) {
      assertVariantOptions(options, variant.options);
      if (variant.imageIds?.length) throw new InvalidInputError('A new product has no images yet: tie images to a variant once they are uploaded');
    }
    if (variants) assertDistinctVariants(variants);
    for (const taken of [...(variants ?? []).map((variant) => variant.sku), ...(sku ? [sku] : [])]) {
      if (await this.products.skuTaken(taken)) throw new SkuTakenError(taken);
    }
    const fields = { ...rest, options, tags: dto.tags ?? [], status: dto.status ?? 'active' };
    const base = productSlugBase(dto.title);
    // The unique index decides: on a taken slug, try again with a random suffix. Two admins
    // creating the same title at once still end up with two different slugs.
    for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt += 1) {
      const slug = attempt === 0 ? base : `${base}-${new Types.ObjectId().toHexString().slice(-6)}`;
      // A product sold as one thing has one default variant with the product's own id (see ProductVariant).
      const _id = new Types.ObjectId();
      const newVariants: NewVariant[] = variants
        ? variants.map(newVariantOf)
        : [{ _id, sku: sku ?? slug, options: {}, price: price!, stockOnHand: stock! }];
      let created: ProductDocument;
      try {
        created = await this.products.create({ ...fields, _id, variants: newVariants, slug });
      } catch (error) {
        if (isDuplicateKeyError(error, 'slug')) continue;
        if (!isSkuConflict(error)) throw error;
        // A generated sku (the slug) taken by some variant: the next slug attempt makes another.
        if (variants || sku !== undefined) throw new SkuTakenError(sku ?? variants!.map((variant) => variant.sku).join(', '));
        continue;
      }
      await this.undoIfCategoryGone(created);
      if (actor) await this.audit.record(actor, { action: 'product.created', entity: 'product', entityId: created._id, before: null, after: created, omit: PRODUCT_AUDIT_OMIT });
      return created;
    }
    throw new StateConflictError('Could not find a free slug for this title; try again');
  }

  /**
   * The category may have been deleted between the check above and the insert (its delete saw
   * no product yet): checked again now that the product exists, and the product taken back
   * with 400. The delete checks again after its write too, so one of the two always sees the other.
   */
  private async undoIfCategoryGone(product: ProductDocument): Promise<void> {
    try {
      await this.categories.assertExists(product.category);
    } catch (error) {
      await this.products.removeJustCreated(product._id);
      throw error;
    }
  }

  /**
   * One admin save, one write (ProductStore.revise): the fields given, the price of the product's
   * only variant, and `stock` (or `stockOnHand`), the counted quantity on hand, applied without
   * touching what orders hold, so a checkout between the admin's read and this write is never
   * undone. One `product.updated` when anything but the stock changed, and one audit entry whose
   * before and after are the product just before and just after that write. Read again and
   * retried when a write the save depends on landed in between (never a checkout's, unless the
   * count went below what orders hold), then 409.
   */
  async update(id: string, dto: UpdateProductDto, actor: AuditActor): Promise<ProductDocument> {
    const { stock, stockOnHand, price, ...fields } = dto;
    const counted = stockOnHand ?? stock; // two names of one count; validation made sure they agree
    for (let attempt = 0; attempt < PRODUCT_WRITE_ATTEMPTS; attempt += 1) {
      const seen = await this.getAny(id);
      const variant = price !== undefined || counted !== undefined ? variantOf(seen, null, price !== undefined ? 'the price' : 'the stock') : null;
      if (fields.category !== undefined && fields.category !== seen.category) await this.categories.assertExists(fields.category);
      if (variant && counted !== undefined && counted < variant.stockAllocated) throw new StockBelowAllocatedError(variant.stockAllocated);
      const revised = await this.products.revise(seen, {
        fields,
        ...(variant && {
          variantId: variant._id,
          variant: price !== undefined ? { price } : {},
          ...(counted !== undefined && { count: { onHand: counted, by: actor.id } }),
        }),
      });
      if (!revised) continue;
      await this.audit.record(actor, { action: 'product.updated', entity: 'product', entityId: revised.after._id, before: revised.before, after: revised.after, omit: PRODUCT_AUDIT_OMIT });
      return revised.after;
    }
    throw new StateConflictError('The product kept changing while it was edited; try again');
  }

  /** "Deleting" archives: the product leaves public reads at once; orders keep their copies. */
  async archive(id: string, actor: AuditActor): Promise<void> {
    const before = await this.products.archive(id);
    if (!before) throw new NotFoundError('Product not found');
    await this.audit.record(actor, {
      action: 'product.archived',
      entity: 'product',
      entityId: id,
      before: { status: before.status },
      after: { status: 'archived' },
    });
  }

  // ---- variants ----

  /** A new variant of the product: its option values must be declared, its combination and sku free (409). */
  async addVariant(id: string, dto: CreateVariantDto, actor: AuditActor): Promise<ProductDocument> {
    for (let attempt = 0; attempt < PRODUCT_WRITE_ATTEMPTS; attempt += 1) {
      const product = await this.getAny(id);
      assertVariantOptions(product.options ?? [], dto.options);
      assertImagesOf(product, dto.imageIds);
      assertDistinctVariants([...product.variants, dto]);
      let added: Revised | null;
      try {
        added = await this.products.addVariant(product, newVariantOf(dto));
      } catch (error) {
        if (isSkuConflict(error)) throw new SkuTakenError(dto.sku);
        throw error;
      }
      if (added) {
        const variant = added.after.variants[added.after.variants.length - 1];
        await this.audit.record(actor, { action: 'product.variantAdded', entity: 'product', entityId: added.after._id, before: null, after: { variantId: variant._id, sku: variant.sku, options: variant.options, price: variant.price, stock: variant.stockOnHand } });
        return added.after;
      }
    }
    throw new StateConflictError('The product kept changing while the variant was added; try again');
  }

  /**
   * Changes a variant's sku, price, images, status or limit and, with `stock`, its counted
   * quantity on hand (allocations are never lost): one write, at most one `product.updated`
   * (none for a count alone), one audit entry with the variant just before and after it.
   */
  async updateVariant(id: string, variantId: string, dto: UpdateVariantDto, actor: AuditActor): Promise<ProductDocument> {
    const { stock, imageIds, ...rest } = dto;
    const edit: VariantEdit = { ...rest, ...(imageIds && { imageIds: imageIds.map((image) => new Types.ObjectId(image)) }) };
    for (let attempt = 0; attempt < PRODUCT_WRITE_ATTEMPTS; attempt += 1) {
      const seen = await this.getAny(id);
      const variant = variantOf(seen, variantId, 'the variant');
      assertImagesOf(seen, imageIds);
      if (edit.sku !== undefined) assertDistinctVariants(seen.variants.map((other) => (other === variant ? { ...other, sku: edit.sku! } : other)));
      if (stock !== undefined && stock < variant.stockAllocated) throw new StockBelowAllocatedError(variant.stockAllocated);
      let revised: Revised | null;
      try {
        revised = await this.products.revise(seen, { variantId: variant._id, variant: edit, ...(stock !== undefined && { count: { onHand: stock, by: actor.id } }) });
      } catch (error) {
        if (isSkuConflict(error)) throw new SkuTakenError(edit.sku ?? variant.sku);
        throw error;
      }
      if (!revised) continue;
      const [before, after] = [revised.before, revised.after].map((product) => variantOf(product, variantId, 'the variant'));
      await this.audit.record(actor, {
        action: 'product.variantUpdated',
        entity: 'product',
        entityId: revised.after._id,
        before: variantAuditOf(before),
        after: variantAuditOf(after),
      });
      return revised.after;
    }
    throw new StateConflictError('The product kept changing while the variant was edited; try again');
  }

  /** "Deleting" a variant archives it: no longer sold or listed; orders keep their copies. */
  async archiveVariant(id: string, variantId: string, actor: AuditActor): Promise<void> {
    await this.updateVariant(id, variantId, { status: 'archived' }, actor);
  }

  /**
   * The product's stock movements newest first (a page of them with `limit` and `before`): the
   * relayed ones in `stock_movements` and those still in the product's buffer. The buffer is read
   * first: a movement the relay pulls after that read was copied before it was pulled, so it is
   * in the collection read next.
   */
  async stockMovements(id: string, page: MovementPage = {}): Promise<NumberedMovement[]> {
    const buffered = await this.products.bufferedStockMovements(id);
    if (!buffered) throw new NotFoundError('Product not found');
    return mergedNewestFirst(buffered, await this.movements.newestOf(new Types.ObjectId(id), page), page);
  }

  async getAny(id: string): Promise<ProductDocument> {
    const product = await this.products.findById(id);
    if (!product) throw new NotFoundError('Product not found');
    return product;
  }

  /** Public read by id or slug; anything not active is as good as missing. */
  async getPublic(idOrSlug: string): Promise<ProductDocument> {
    const product = isObjectIdString(idOrSlug)
      ? await this.products.findOne({ _id: idOrSlug, status: 'active' })
      : await this.products.findOne({ slug: idOrSlug, status: 'active' });
    if (!product) throw new NotFoundError('Product not found');
    return product;
  }

  async listAdmin(query: AdminProductListQueryDto): Promise<Paginated<ProductDocument>> {
    const filter: ProductFilter = query.status ? { status: query.status } : {};
    const [items, total] = await Promise.all([
      this.products.findPage(filter, { createdAt: -1, _id: -1 }, skipFor(query), query.limit),
      this.products.count(filter),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }
}

/** What a variant's audit entry shows of it. */
function variantAuditOf(variant: ProductVariant) {
  return {
    variantId: variant._id,
    sku: variant.sku,
    price: variant.price,
    status: variant.status,
    imageIds: variant.imageIds,
    maxPerOrder: variant.maxPerOrder,
    stockOnHand: variant.stockOnHand,
    stockAllocated: variant.stockAllocated,
    stock: variant.stock,
  };
}

function newVariantOf(dto: CreateVariantDto): NewVariant {
  return {
    sku: dto.sku,
    options: dto.options,
    price: dto.price,
    stockOnHand: dto.stock,
    ...(dto.imageIds && { imageIds: dto.imageIds.map((image) => new Types.ObjectId(image)) }),
    ...(dto.maxPerOrder !== undefined && { maxPerOrder: dto.maxPerOrder }),
  };
}

/** A variant shows images of its own product only (400 otherwise). */
function assertImagesOf(product: ProductDocument, imageIds: string[] | undefined): void {
  const unknown = (imageIds ?? []).filter((imageId) => !product.images.some((image) => image._id.equals(imageId)));
  if (unknown.length > 0) throw new InvalidInputError(`Not images of this product: ${unknown.join(', ')}`);
}

/** The store-wide sku index refused the write. */
function isSkuConflict(error: unknown): boolean {
  return isDuplicateKeyError(error, 'variants.skuKey') || (error as { message?: string } | undefined)?.message?.includes(SKU_INDEX) === true;
}

/** A slug never looks like an id (ids win in /products/:idOrSlug) and is never empty. */
function productSlugBase(title: string): string {
  const slug = slugify(title) || 'product';
  return isObjectIdString(slug) ? `${slug}-p` : slug;
}
