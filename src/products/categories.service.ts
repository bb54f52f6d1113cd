import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { BadRequestError, ConflictError, isDuplicateKeyError, NotFoundError } from '@app/common';
import { searchTokensOf, slugify } from '../search/tokenize';
import { CreateCategoryDto, UpdateCategoryDto } from './dto/category.dto';
import { Category, CategoryDocument } from './schemas/category.schema';
import { Product } from './schemas/product.schema';

@Injectable()
export class CategoriesService {
  constructor(
    @InjectModel(Category.name) private readonly categories: Model<Category>,
    @InjectModel(Product.name) private readonly products: Model<Product>,
  ) {}

  async list(): Promise<CategoryDocument[]> {
    return this.categories.find().sort({ name: 1 });
  }

  async create(dto: CreateCategoryDto): Promise<CategoryDocument> {
    const slug = dto.slug ?? slugify(dto.name);
    if (!slug) throw new BadRequestError('This name gives no URL slug (no Latin letters or digits); send a slug');
    return this.withSlugConflictAs409(() => this.categories.create({ name: dto.name, slug }));
  }

  /**
   * A new slug carries the category's products along (their `category` and search tokens).
   * Products move first and the category last: if anything fails on the way, the category still
   * has its old slug and repeating the request finishes the move.
   */
  async update(id: string, dto: UpdateCategoryDto): Promise<CategoryDocument> {
    const category = await this.categories.findById(id);
    if (!category) throw new NotFoundError('Category not found');
    const oldSlug = category.slug;
    const newSlug = dto.slug ?? oldSlug;
    if (newSlug !== oldSlug) {
      if (await this.categories.exists({ slug: newSlug })) throw new ConflictError('A category with this slug already exists');
      await this.moveProducts(oldSlug, newSlug);
    }
    if (dto.name !== undefined) category.name = dto.name;
    category.slug = newSlug;
    try {
      await this.withSlugConflictAs409(() => category.save());
    } catch (error) {
      if (newSlug !== oldSlug) await this.moveProducts(newSlug, oldSlug);
      throw error;
    }
    // A product created with the old slug while this ran follows too.
    if (newSlug !== oldSlug) await this.moveProducts(oldSlug, newSlug);
    return category;
  }

  /** Refused while live products use the category: they would point at nothing. */
  async remove(id: string): Promise<void> {
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
    }
  }

  private async assertUnused(slug: string): Promise<void> {
    const inUse = await this.products.countDocuments({ category: slug, status: { $ne: 'archived' } });
    if (inUse > 0) throw new ConflictError(`Category "${slug}" still has ${inUse} product(s); move or archive them first`);
  }

  async assertExists(slug: string): Promise<void> {
    if (!(await this.categories.exists({ slug }))) throw new BadRequestError(`Unknown category "${slug}"`);
  }

  /**
   * Each product moves with a write conditioned on the fields its tokens were computed from; one
   * edited meanwhile is read again on the next pass, so no token is computed from stale data.
   */
  private async moveProducts(fromSlug: string, toSlug: string): Promise<void> {
    for (let pass = 0; pass < 5; pass += 1) {
      const affected = await this.products.find({ category: fromSlug }, { title: 1, brand: 1, tags: 1 }).lean();
      if (affected.length === 0) return;
      await this.products.bulkWrite(
        affected.map((product) => ({
          updateOne: {
            filter: { _id: product._id, category: fromSlug, title: product.title, brand: product.brand, tags: product.tags },
            update: { $set: { category: toSlug, searchTokens: searchTokensOf(product.title, product.brand, toSlug, product.tags) } },
          },
        })),
      );
    }
    throw new ConflictError('Products of this category kept changing during the move; try again');
  }

  private async withSlugConflictAs409<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new ConflictError('A category with this slug already exists');
      throw error;
    }
  }
}
