import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { InvalidInputError, StateConflictError, isDuplicateKeyError, NotFoundError } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
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
   * has its old slug and repeating the request finishes the move.
   */
  async update(id: string, dto: UpdateCategoryDto, actor: AuditActor): Promise<CategoryDocument> {
    const category = await this.categories.findById(id);
    if (!category) throw new NotFoundError('Category not found');
    const before = category.toObject();
    const oldSlug = category.slug;
    const newSlug = dto.slug ?? oldSlug;
    if (newSlug !== oldSlug) {
      if (await this.categories.exists({ slug: newSlug })) throw new StateConflictError('A category with this slug already exists');
      await this.moveProducts(oldSlug, newSlug);
    }
    if (dto.name !== undefined) category.name = dto.name;
    category.slug = newSlug;
    try {
      await this.withSlugConflictAs409(() => category.save());
    } catch (error) {
      if (newSlug !== oldSlug) await this.moveProducts(newSlug, oldSlug);
      throw error;
    } finally {
      await this.catalogVersion.bump('content');
    }
    // A product created with the old slug while this ran follows too.
    if (newSlug !== oldSlug) await this.moveProducts(oldSlug, newSlug);
    await this.audit.record(actor, { action: 'category.updated', entity: 'category', entityId: category._id, before, after: category });
    return category;
  }

  /** Refused while live products use the category: they would point at nothing. */
  async remove(id: string, actor: AuditActor): Promise<void> {
    const category = await this.categories.findById(id);
    if (!category) throw new NotFoundError('Category not found');
    await this.assertUnused(category.slug);
    await category.deleteOne();
    // A product created between the check and the delete: put the category back and refuse.
    try {
      await this.assertUnused(category.slug);
    } catch (error) {
      await this.categories.create({ _id: category._id, name: category.name, slug: category.slug });
      throw error;
    } finally {
      await this.catalogVersion.bump('content');
    }
    await this.audit.record(actor, { action: 'category.deleted', entity: 'category', entityId: category._id, before: category, after: null });
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
