import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';
import { CatalogCacheInterceptor } from '../products/catalog-cache.interceptor';
import { ProductSearchQueryDto, ProductSearchResponseDto } from './dto/product-search.dto';
import { SearchService } from './search.service';

@ApiTags('catalog')
@Public()
@UseInterceptors(CatalogCacheInterceptor)
@Controller('products')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  /** Active products: search, filters, sorting, facets; 400 for any malformed parameter. */
  @Get()
  // How `option` is written in a query string, which the DTO's schema cannot say (OptionFiltersMiddleware reads both forms).
  @ApiQuery({ name: 'option', required: false, style: 'deepObject', explode: true })
  async list(@Query() query: ProductSearchQueryDto): Promise<ProductSearchResponseDto> {
    return this.search.search(query);
  }
}
