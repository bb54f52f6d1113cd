import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
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
  async list(@Query() query: ProductSearchQueryDto): Promise<ProductSearchResponseDto> {
    return this.search.search(query);
  }
}
