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
import { DEMO_CATALOG } from './demo-catalog';
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
        const product = await this.products.create({
          ...item,
          brand: category.brands[index % category.brands.length],
          category: category.slug,
          description: `${item.title} from our ${category.name.toLowerCase()} range. A demo product.`,
          stock: 5 + ((index * 7) % 40),
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
   * A large synthetic catalog for benchmarks: bulk inserts in batches, no images. Slugs carry a
   * run id, so several runs add up instead of colliding.
   */
  async seedBulk(count: number, onProgress: Progress, batchSize = 1000): Promise<void> {
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
          options: [],
          variants: [{ _id, sku: slug, options: {}, price: 500 + ((i * 7919) % 100_000), stockOnHand: (i * 31) % 200 }],
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
