import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CatalogCache } from './catalog-cache';
import { CatalogVersion } from './catalog-version';
import { ProductStore } from './products.store';
import { Product, ProductSchema } from './schemas/product.schema';

/**
 * The one module that registers the product model: everything else reads and writes products
 * through ProductStore, so no second writer can skip the search tokens or the catalog version.
 */
@Module({
  imports: [MongooseModule.forFeature([{ name: Product.name, schema: ProductSchema }])],
  // One catalog cache per process: the interceptors of both catalog controllers and the fast path share it.
  providers: [ProductStore, CatalogVersion, CatalogCache],
  exports: [ProductStore, CatalogVersion, CatalogCache],
})
export class ProductStoreModule {}
