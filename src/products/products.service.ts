import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { StateConflictError, isDuplicateKeyError, isObjectIdString, NotFoundError, Paginated, skipFor } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { slugify } from './tokenize';
import { CategoriesService } from './categories.service';
import { InventoryService, openingStock } from './inventory.service';
import { AdminProductListQueryDto, CreateProductDto, UpdateProductDto } from './dto/product.dto';
import { ProductFilter, ProductStore } from './products.store';
import { ProductDocument } from './schemas/product.schema';

const SLUG_ATTEMPTS = 6;
/** Derived or bulky fields a product's audit entry leaves out (the stock numbers stay). */
const PRODUCT_AUDIT_OMIT = ['searchTokens', 'titleTokens', 'allocations', 'stockAdjustments'] as const;

@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductStore,
    private readonly categories: CategoriesService,
    private readonly inventory: InventoryService,
    private readonly audit: AuditLog,
  ) {}

  /** `actor` is the admin (audit log); null only for seeding, which is no admin write. */
  async create(dto: CreateProductDto, actor: AuditActor | null): Promise<ProductDocument> {
    await this.categories.assertExists(dto.category);
    const fields = { ...dto, tags: dto.tags ?? [], status: dto.status ?? 'active' };
    const base = productSlugBase(dto.title);
    // The unique index decides: on a taken slug, try again with a random suffix. Two admins
    // creating the same title at once still end up with two different slugs.
    for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt += 1) {
      const slug = attempt === 0 ? base : `${base}-${new Types.ObjectId().toHexString().slice(-6)}`;
      let created: ProductDocument;
      try {
        created = await this.products.create({ ...fields, ...openingStock(dto.stock), slug });
      } catch (error) {
        if (!isDuplicateKeyError(error, 'slug')) throw error;
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
   * Sets only the fields given, in one atomic update (the store recomputes the search tokens).
   * `stock` (or `stockOnHand`) is the counted quantity on hand: it goes through the inventory,
   * which applies it without touching what orders hold, so a checkout between the admin's read
   * and this write is never undone. The admin is recorded with the count and in the audit log,
   * whose `before` is the product as read just before the writes.
   */
  async update(id: string, dto: UpdateProductDto, actor: AuditActor): Promise<ProductDocument> {
    const { stock, stockOnHand, ...fields } = dto;
    const counted = stockOnHand ?? stock; // two names of one count; validation made sure they agree
    const before = await this.getAny(id);
    if (fields.category !== undefined && fields.category !== before.category) await this.categories.assertExists(fields.category);
    if (counted !== undefined) await this.inventory.setOnHand(id, counted, actor.id);
    const updated = Object.keys(fields).length > 0 ? await this.products.edit(id, fields) : await this.products.findById(id);
    if (!updated) throw new NotFoundError('Product not found');
    await this.audit.record(actor, { action: 'product.updated', entity: 'product', entityId: updated._id, before, after: updated, omit: PRODUCT_AUDIT_OMIT });
    return updated;
  }

  /** "Deleting" archives: the product leaves public reads at once; orders keep their copies. */
  async archive(id: string, actor: AuditActor): Promise<void> {
    const before = await this.getAny(id);
    if (!(await this.products.archive(id))) throw new NotFoundError('Product not found');
    await this.audit.record(actor, {
      action: 'product.archived',
      entity: 'product',
      entityId: id,
      before: { status: before.status },
      after: { status: 'archived' },
    });
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

/** A slug never looks like an id (ids win in /products/:idOrSlug) and is never empty. */
function productSlugBase(title: string): string {
  const slug = slugify(title) || 'product';
  return isObjectIdString(slug) ? `${slug}-p` : slug;
}
