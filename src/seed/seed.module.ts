import { Module } from '@nestjs/common';
import { CoreModule } from '../core/core.module';
import { ProductImagesModule } from '../products/product-images.module';
import { ProductsModule } from '../products/products.module';
import { SeedService } from './seed.service';

@Module({
  imports: [CoreModule.forRoot('cli'), ProductsModule, ProductImagesModule],
  providers: [SeedService],
})
export class SeedModule {}
