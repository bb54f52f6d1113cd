import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { ProductStoreModule } from '../products/product-store.module';
import { OptionFiltersMiddleware } from './option-filters.middleware';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

@Module({
  imports: [ProductStoreModule],
  controllers: [SearchController],
  providers: [SearchService],
})
export class SearchModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(OptionFiltersMiddleware).forRoutes({ path: 'products', method: RequestMethod.GET });
  }
}
