import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { toProductResponse } from '../products/dto/product.dto';
import { ProductStore } from '../products/products.store';
import type { Product } from '../products/schemas/product.schema';
import type { FacetCountDto, ProductSearchQueryDto, ProductSearchResponseDto } from './dto/product-search.dto';
import { searchPipeline } from './search-query';

interface FacetResult {
  items: Product[];
  total: { count: number }[];
  brands: { _id: string; count: number }[];
  categories: { _id: string; count: number }[];
}

/** The public product list and search. Results are cached per catalog version by CatalogCacheInterceptor. */
@Injectable()
export class SearchService {
  constructor(
    private readonly products: ProductStore,
    private readonly config: AppConfig,
  ) {}

  async search(query: ProductSearchQueryDto): Promise<ProductSearchResponseDto> {
    const [result] = await this.products.aggregate<FacetResult>(searchPipeline(query));
    const currency = this.config.get('STORE_CURRENCY');
    const counts = (rows: FacetResult['brands']): FacetCountDto[] => rows.map((row) => ({ value: row._id, count: row.count }));
    return {
      items: result.items.map((product) => toProductResponse(product, currency)),
      total: result.total[0]?.count ?? 0,
      page: query.page,
      limit: query.limit,
      facets: { brands: counts(result.brands), categories: counts(result.categories) },
    };
  }
}
