import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { QueryFilter, Model, Types } from 'mongoose';
import { ConflictError, isDuplicateKeyError, isObjectIdString, NotFoundError, Paginated, skipFor } from '@app/common';
import { searchTokensOf, slugify } from '../search/tokenize';
import { CategoriesService } from './categories.service';
import { AdminProductListQueryDto, CreateProductDto, UpdateProductDto } from './dto/product.dto';
import { Product, ProductDocument } from './schemas/product.schema';

const SLUG_ATTEMPTS = 6;

type Searchable = Pick<Product, 'title' | 'brand' | 'category' | 'tags'>;

function tokensOf(product: Searchable): string[] {
  return searchTokensOf(product.title, product.brand, product.category, product.tags);
}

@Injectable()
export class ProductsService {
  constructor(
    @InjectModel(Product.name) private readonly products: Model<Product>,
    private readonly categories: CategoriesService,
  ) {}

  async create(dto: CreateProductDto): Promise<ProductDocument> {
    await this.categories.assertExists(dto.category);
    const fields = { ...dto, tags: dto.tags ?? [], status: dto.status ?? 'active' };
    const base = productSlugBase(dto.title);
    // The unique index decides: on a taken slug, try again with a random suffix. Two admins
    // creating the same title at once still end up with two different slugs.
    for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt += 1) {
      const slug = attempt === 0 ? base : `${base}-${new Types.ObjectId().toHexString().slice(-6)}`;
      try {
        return await this.products.create({ ...fields, slug, searchTokens: tokensOf(fields) });
      } catch (error) {
        if (!isDuplicateKeyError(error, 'slug')) throw error;
      }
    }
    throw new ConflictError('Could not find a free slug for this title; try again');
  }

  /**
   * Sets only the fields given, in one atomic update, so an edit never overwrites a stock
   * change made by a checkout in the meantime. The search tokens are computed from the fields as
   * read, and the write is conditioned on them still being so; a concurrent edit means a retry.
   */
  async update(id: string, dto: UpdateProductDto): Promise<ProductDocument> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await this.getAny(id);
      if (dto.category !== undefined && dto.category !== current.category) await this.categories.assertExists(dto.category);
      const merged: Searchable = {
        title: dto.title ?? current.title,
        brand: dto.brand ?? current.brand,
        category: dto.category ?? current.category,
        tags: dto.tags ?? current.tags,
      };
      const updated = await this.products.findOneAndUpdate(
        { _id: id, title: current.title, brand: current.brand, category: current.category, tags: current.tags },
        { $set: { ...dto, searchTokens: tokensOf(merged) } },
        { returnDocument: 'after', runValidators: true },
      );
      if (updated) return updated;
    }
    throw new ConflictError('The product kept changing while it was edited; try again');
  }

  /** "Deleting" archives: the product leaves public reads at once; orders keep their copies. */
  async archive(id: string): Promise<void> {
    const result = await this.products.updateOne({ _id: id }, { $set: { status: 'archived' } });
    if (result.matchedCount === 0) throw new NotFoundError('Product not found');
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
    const filter: QueryFilter<Product> = query.status ? { status: query.status } : {};
    const [items, total] = await Promise.all([
      this.products.find(filter).sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit),
      this.products.countDocuments(filter),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }
}

/** A slug never looks like an id (ids win in /products/:idOrSlug) and is never empty. */
function productSlugBase(title: string): string {
  const slug = slugify(title) || 'product';
  return isObjectIdString(slug) ? `${slug}-p` : slug;
}
