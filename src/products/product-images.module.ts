import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { StorageModule } from '../storage/storage.module';
import { ProductImagesService } from './product-images.service';
import { Product, ProductSchema } from './schemas/product.schema';

/** Separate so that the multer options factory (its own module scope) can inject the service. */
@Module({
  imports: [MongooseModule.forFeature([{ name: Product.name, schema: ProductSchema }]), StorageModule],
  providers: [ProductImagesService],
  exports: [ProductImagesService, StorageModule],
})
export class ProductImagesModule {}
