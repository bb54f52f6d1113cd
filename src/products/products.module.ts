import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { MongooseModule } from '@nestjs/mongoose';
import { MulterModule } from '@nestjs/platform-express';
import { StorageService } from '../storage/storage.service';
import { AdminCategoriesController } from './admin-categories.controller';
import { AdminProductsController } from './admin-products.controller';
import { CategoriesService } from './categories.service';
import { productImageMulterOptions } from './product-image-storage';
import { ProductImagesModule } from './product-images.module';
import { ProductImagesService } from './product-images.service';
import { InventoryModule } from './inventory.module';
import { ProductStoreModule } from './product-store.module';
import { StockMovementsModule } from './stock-movements/stock-movements.module';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';
import { Category, CategorySchema } from './schemas/category.schema';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: Category.name, schema: CategorySchema }]),
    ProductStoreModule,
    StockMovementsModule,
    AuditLogModule,
    InventoryModule,
    ProductImagesModule,
    MulterModule.registerAsync({
      imports: [ProductImagesModule],
      inject: [StorageService, ProductImagesService],
      useFactory: productImageMulterOptions,
    }),
  ],
  controllers: [ProductsController, AdminProductsController, AdminCategoriesController],
  providers: [ProductsService, CategoriesService],
  exports: [ProductsService, CategoriesService, ProductStoreModule],
})
export class ProductsModule {}
