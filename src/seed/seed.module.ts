import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { CoreModule } from '../core/core.module';
import { ProductImagesModule } from '../products/product-images.module';
import { ProductsModule } from '../products/products.module';
import { Category, CategorySchema } from '../products/schemas/category.schema';
import { Product, ProductSchema } from '../products/schemas/product.schema';
import { SeedService } from './seed.service';

@Module({
  imports: [
    CoreModule.forRoot('cli'),
    ProductsModule,
    ProductImagesModule,
    MongooseModule.forFeature([
      { name: Product.name, schema: ProductSchema },
      { name: Category.name, schema: CategorySchema },
    ]),
  ],
  providers: [SeedService],
})
export class SeedModule {}
