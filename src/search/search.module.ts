import { Module } from '@nestjs/common';
import { ProductStoreModule } from '../products/product-store.module';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [ProductStoreModule],
  controllers: [SearchController],
  providers: [SearchService],
})
export class SearchModule {}
