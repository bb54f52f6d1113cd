import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { toProductResponse } from '../products/dto/product.dto';
import { CatalogDependencies, versionTag } from '../products/catalog-version';
import { ProductStore } from '../products/products.store';
import type { Product } from '../products/schemas/product.schema';
import type { FacetCountDto, ProductSearchQueryDto, ProductSearchResponseDto, SearchFacetsDto } from './dto/product-search.dto';
import { pagePipeline, queryWords, searchFilter, searchPipeline } from './search-query';

interface FacetResult {
  items: Product[];
  total: { count: number }[];
  brands: { _id: string; count: number }[];
  categories: { _id: string; count: number }[];
  options: { _id: string; values: FacetCountDto[] }[];
}

/** What a filter matches, whatever the page: the total and the facets. */
interface FilterCounts {
  total: number;
  facets: SearchFacetsDto;
}

/**
 * The public product list and search. Whole answers are cached per catalog versions and request
 * by CatalogCacheInterceptor; the counts of a filter are cached here per catalog versions and
 * filter (not page, limit or sort), so paging through one filter runs the facet aggregation once
 * and each further page only reads its items.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly products: ProductStore,
    private readonly config: AppConfig,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  async search(query: ProductSearchQueryDto): Promise<ProductSearchResponseDto> {
    const words = queryWords(query.q);
    const filter = searchFilter(query, words);
    const countsKey = await this.countsKey(filter, { availability: query.inStock === true });
    const known = countsKey === null ? undefined : await this.cachedCounts(countsKey);

    let items: Product[];
    let counts: FilterCounts;
    if (known) {
      counts = known;
      // A page past the end needs no read at all.
      items = (query.page - 1) * query.limit >= known.total ? [] : await this.products.aggregate<Product>(pagePipeline(query, words, filter));
    } else {
      const [result] = await this.products.aggregate<FacetResult>(searchPipeline(query, words, filter));
      const facetCounts = (rows: FacetResult['brands']): FacetCountDto[] => rows.map((row) => ({ value: row._id, count: row.count }));
      items = result.items;
      counts = {
        total: result.total[0]?.count ?? 0,
        facets: {
          brands: facetCounts(result.brands),
          categories: facetCounts(result.categories),
          options: result.options.map((option) => ({ name: option._id, values: option.values })),
        },
      };
      // Not awaited: a cache failure only costs the next page a facet aggregation.
      if (countsKey !== null) this.cache.set(countsKey, JSON.stringify(counts)).catch(() => undefined);
    }
    const currency = this.config.get('STORE_CURRENCY');
    return {
      items: items.map((product) => toProductResponse(product, currency)),
      total: counts.total,
      page: query.page,
      limit: query.limit,
      facets: counts.facets,
    };
  }

  /**
   * Keyed by the versions the counts depend on: the content, and availability for `inStock=true`
   * (stock that does not cross sold out changes no count). Null when the versions are unknown
   * (Redis unreachable): then nothing is cached.
   */
  private async countsKey(filter: object, depends: CatalogDependencies): Promise<string | null> {
    const read = await this.products.catalogVersions();
    if (read === null) return null;
    return `catalog:${versionTag(read.versions, depends)}:search-counts:${createHash('sha1').update(JSON.stringify(filter)).digest('base64url')}`;
  }

  private async cachedCounts(key: string): Promise<FilterCounts | undefined> {
    const json = await this.cache.get<string>(key).catch(() => undefined);
    return typeof json === 'string' ? (JSON.parse(json) as FilterCounts) : undefined;
  }
}
