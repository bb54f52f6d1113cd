import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { InvalidInputError, StateConflictError, isDuplicateKeyError, NotFoundError } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { BeforeAfter, setReturningBoth } from '../audit/audited-set';
import { slugify } from './tokenize';
import { CatalogVersion } from './catalog-version';
import { CreateCategoryDto, UpdateCategoryDto } from './dto/category.dto';
import { ProductStore } from './products.store';
import { Category, CategoryDocument } from './schemas/category.schema';

@Injectable()
export class CategoriesService {
  constructor(
    @InjectModel(Category.name) private readonly categories: Model<Category>,
    private readonly products: ProductStore,
    private readonly catalogVersion: CatalogVersion,
    private readonly audit: AuditLog,
  ) {}

  async list(): Promise<CategoryDocument[]> {
    return this.categories.find().sort({ name: 1 });
  }

  async create(dto: CreateCategoryDto, actor: AuditActor): Promise<CategoryDocument> {
    const slug = dto.slug ?? slugify(dto.name);
    if (!slug) throw new InvalidInputError('This name gives no URL slug (no Latin letters or digits); send a slug');
    const created = await this.withSlugConflictAs409(() => this.categories.create({ name: dto.name, slug }));
    await this.catalogVersion.bump('content');
    await this.audit.record(actor, { action: 'category.created', entity: 'category', entityId: created._id, before: null, after: created });
    return created;
  }

  /** Creates the category unless its slug exists (seeding); an existing one is left as it is. */
  async ensure(name: string, slug: string): Promise<void> {
    const result = await this.categories.updateOne({ slug }, { $setOnInsert: { name } }, { upsert: true });
    if (result.upsertedCount > 0) await this.catalogVersion.bump('content');
  }

  /**
   * A new slug carries the category's products along (their `category` and search tokens).
   * Products move first and the category last: if anything fails on the way, the category still
   * has its old slug and repeating the request finishes the move. The category's write is
   * conditioned on the slug the products were moved from (another rename meanwhile → the move is
   * taken back, 409) and gives the audit entry its exact before and after (setReturningBoth).
   */
  async update(id: string, dto: UpdateCategoryDto, actor: AuditActor): Promise<Category> {
    const category = await this.categories.findById(id).lean<Category>();
    if (!category) throw new NotFoundError('Category not found');
    const oldSlug = category.slug;
    const newSlug = dto.slug ?? oldSlug;
    if (newSlug !== oldSlug) {
      if (await this.categories.exists({ slug: newSlug })) throw new StateConflictError('A category with this slug already exists');
      await this.moveProducts(oldSlug, newSlug);
    }
    let written: BeforeAfter<Category> | null;
    try {
      written = await this.withSlugConflictAs409(() =>
        setReturningBoth(this.categories, { _id: id, slug: oldSlug }, { ...(dto.name !== undefined && { name: dto.name }), slug: newSlug }),
      );
      if (!written) {
        if (!(await this.categories.exists({ _id: id }))) throw new NotFoundError('Category not found');
        throw new StateConflictError('The category was changed by another request; try again');
      }
    } catch (error) {
      if (newSlug !== oldSlug) await this.moveProducts(newSlug, oldSlug);
      throw error;
    } finally {
      await this.catalogVersion.bump('content');
    }
    // A product created with the old slug while this ran follows too.
    if (newSlug !== oldSlug) await this.moveProducts(oldSlug, newSlug);
    await this.audit.record(actor, { action: 'category.updated', entity: 'category', entityId: written.before._id, before: written.before, after: written.after });
    return written.after;
  }

  /**
   * Refused while live products use the category. The delete is conditioned on the slug that was
   * checked, and its audit entry's before is what it deleted.
   */
  async remove(id: string, actor: AuditActor): Promise<void> {
    const category = await this.categories.findById(id).lean<Category>();
    if (!category) throw new NotFoundError('Category not found');
    await this.assertUnused(category.slug);
    const deleted = await this.categories.findOneAndDelete({ _id: id, slug: category.slug }).lean<Category>();
    if (!deleted) {
      if (!(await this.categories.exists({ _id: id }))) throw new NotFoundError('Category not found');
      throw new StateConflictError('The category was changed by another request; try again');
    }
    // A product created between the check and the delete: put the category back and refuse.
    try {
      await this.assertUnused(deleted.slug);
    } catch (error) {
      await this.categories.create({ _id: deleted._id, name: deleted.name, slug: deleted.slug });
      throw error;
    } finally {
      await this.catalogVersion.bump('content');
    }
    await this.audit.record(actor, { action: 'category.deleted', entity: 'category', entityId: deleted._id, before: deleted, after: null });
  }

  private async assertUnused(slug: string): Promise<void> {
    const inUse = await this.products.count({ category: slug, status: { $ne: 'archived' } });
    if (inUse > 0) throw new StateConflictError(`Category "${slug}" still has ${inUse} product(s); move or archive them first`);
  }

  async assertExists(slug: string): Promise<void> {
    if (!(await this.categories.exists({ slug }))) throw new InvalidInputError(`Unknown category "${slug}"`);
  }

  /** The store writes each product with its new tokens, re-reading any edited meanwhile. */
  private async moveProducts(fromSlug: string, toSlug: string): Promise<void> {
    await this.products.moveCategory(fromSlug, toSlug);
  }

  private async withSlugConflictAs409<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new StateConflictError('A category with this slug already exists');
      throw error;
    }
  }
}
