import { Injectable, Logger } from '@nestjs/common';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { CategoriesService } from '../products/categories.service';
import { productImagePrefix, ProductImagesService } from '../products/product-images.service';
import { ProductsService } from '../products/products.service';
import { NewProduct, ProductStore } from '../products/products.store';
import { slugify } from '../products/tokenize';
import { StorageService } from '../storage/storage.service';
import { DEMO_CATALOG, DemoItem } from './demo-catalog';
import { gradientPng } from './png';

export type Progress = (done: number, total: number) => void;

@Injectable()
export class SeedService {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    private readonly products: ProductsService,
    private readonly categories: CategoriesService,
    private readonly images: ProductImagesService,
    private readonly storage: StorageService,
    private readonly store: ProductStore,
  ) {}

  /**
   * The demo catalog, through the same services as the admin API (slugs, tokens, image
   * storage). Runs once: a catalog that already has products is left alone.
   */
  async seedDemo(): Promise<{ created: number; skipped: boolean }> {
    if ((await this.store.estimatedCount()) > 0) return { created: 0, skipped: true };
    let created = 0;
    for (const category of DEMO_CATALOG) {
      await this.categories.ensure(category.name, category.slug);
      for (const [index, item] of category.items.entries()) {
        const { options, price, ...descriptive } = item;
        const stock = 5 + ((index * 7) % 40);
        const product = await this.products.create({
          ...descriptive,
          brand: category.brands[index % category.brands.length],
          category: category.slug,
          description: `${item.title} from our ${category.name.toLowerCase()} range. A demo product.`,
          ...(options ? { options, variants: demoVariants(item, stock) } : { price, stock }),
        }, null);
        const art = gradientPng(256, category.colour, [250 - index * 20, 220, 120 + index * 15]);
        const key = `${productImagePrefix(product.id)}${randomUUID()}`;
        await this.storage.client.send(
          new PutObjectCommand({ Bucket: this.storage.bucket, Key: key, Body: art, ContentType: 'image/png' }),
        );
        await this.images.attach(product.id, [{ key }], null);
        created += 1;
      }
    }
    return { created, skipped: false };
  }

  /**
   * A large synthetic catalog for benchmarks: bulk inserts in batches through the store (which
   * derives sku keys, price, price range and stock sums as for any product), no images. Slugs
   * carry a run id, so several runs add up instead of colliding. With `variants` > 1 each product
   * is sold in that many Size × Color combinations (bulkVariants); with 1 it is sold as one thing.
   */
  async seedBulk(count: number, onProgress: Progress, variants = DEFAULT_BULK_VARIANTS, batchSize = 1000): Promise<void> {
    for (const category of DEMO_CATALOG) {
      await this.categories.ensure(category.name, category.slug);
    }
    const adjectives = ['Compact', 'Classic', 'Premium', 'Eco', 'Smart', 'Pro', 'Ultra', 'Vintage', 'Rugged', 'Silent'];
    const run = new Types.ObjectId().toHexString().slice(-6);
    for (let start = 0; start < count; start += batchSize) {
      const batch: NewProduct[] = [];
      for (let i = start; i < Math.min(start + batchSize, count); i += 1) {
        const category = DEMO_CATALOG[i % DEMO_CATALOG.length];
        const item = category.items[Math.floor(i / DEMO_CATALOG.length) % category.items.length];
        const title = `${adjectives[i % adjectives.length]} ${item.title} ${Math.floor(i / 70) + 1}`;
        const brand = category.brands[i % category.brands.length];
        const slug = `${slugify(title)}-${run}-${i}`;
        const _id = new Types.ObjectId();
        batch.push({
          _id,
          title,
          slug,
          description: `Synthetic product number ${i}.`,
          brand,
          category: category.slug,
          tags: item.tags,
          ...bulkVariants(_id, slug, i, variants),
          images: [],
          status: 'active',
        });
      }
      await this.store.createMany(batch);
      onProgress(Math.min(start + batchSize, count), count);
    }
    this.logger.log(`Inserted ${count} synthetic products (run ${run})`);
  }
}

export const DEFAULT_BULK_VARIANTS = 4;
const BULK_SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const BULK_COLORS = ['Black', 'White', 'Red', 'Blue', 'Green'];
/** Every Size × Color combination: the most variants a bulk product can have. */
export const MAX_BULK_VARIANTS = BULK_SIZES.length * BULK_COLORS.length;

/**
 * Options and variants of synthetic product `i`: `count` consecutive Size × Color combinations
 * from an offset that moves with `i` (so a two-option filter matches a share of the catalog),
 * prices a little apart and stock from 0 up (some variants sold out). One variant: the product
 * is sold as one thing, its default variant carrying the product's id, as an admin create makes it.
 */
export function bulkVariants(productId: Types.ObjectId, slug: string, i: number, count: number): Pick<NewProduct, 'options' | 'variants'> {
  const price = 500 + ((i * 7919) % 100_000);
  if (count === 1) return { options: [], variants: [{ _id: productId, sku: slug, options: {}, price, stockOnHand: (i * 31) % 200 }] };
  const combinations = BULK_SIZES.flatMap((size) => BULK_COLORS.map((color) => ({ Size: size, Color: color })));
  const chosen = Array.from({ length: count }, (_, k) => combinations[(i * 7 + k) % combinations.length]);
  const declared = (name: 'Size' | 'Color', order: string[]) => order.filter((value) => chosen.some((options) => options[name] === value));
  return {
    options: [
      { name: 'Size', values: declared('Size', BULK_SIZES) },
      { name: 'Color', values: declared('Color', BULK_COLORS) },
    ],
    variants: chosen.map((options, k) => ({ sku: `${slug}-${k + 1}`, options, price: price + k * 100, stockOnHand: (i * 31 + k * 17) % 200 })),
  };
}

/** Every combination of a demo item's option values, one variant each, at its price, stock varying. */
function demoVariants(item: DemoItem, stock: number): { sku: string; options: Record<string, string>; price: number; stock: number }[] {
  const combinations = (item.options ?? []).reduce<Record<string, string>[]>(
    (partial, option) => partial.flatMap((options) => option.values.map((value) => ({ ...options, [option.name]: value }))),
    [{}],
  );
  return combinations.map((options, k) => ({
    sku: [slugify(item.title), ...Object.values(options).map((value) => slugify(value))].join('-'),
    options,
    price: item.price,
    stock: (stock + k * 3) % 12,
  }));
}
