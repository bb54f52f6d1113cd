import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { PaginationQueryDto, Trim } from '@app/common';
import { MAX_PRICE, ProductResponseDto } from '../../products/dto/product.dto';

export const SEARCH_SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'rating'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

// Read the raw value: implicit conversion would already have turned "false" into true.
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return raw;
};

export class ProductSearchQueryDto extends PaginationQueryDto {
  /** Words to find in title, brand, category and tags (all must match; the last may be a prefix). */
  @IsOptional()
  @Trim()
  @IsString()
  @MaxLength(200)
  q?: string;

  /** Category slug. */
  @IsOptional()
  @IsString()
  @Length(1, 80)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'category must be a category slug' })
  category?: string;

  /** Exact brand, as listed in the brand facet. */
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  brand?: string;

  /** Lowest price in minor units, inclusive. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  minPrice?: number;

  /** Highest price in minor units, inclusive; not below `minPrice`. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  maxPrice?: number;

  /** `true`: only products that can be bought now. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  inStock?: boolean;

  /** `relevance` is the default with `q`, `newest` without. */
  @IsOptional()
  @IsIn(SEARCH_SORTS)
  sort?: SearchSort;
}

export class FacetCountDto {
  value!: string;
  count!: number;
}

export class SearchFacetsDto {
  brands!: FacetCountDto[];
  categories!: FacetCountDto[];
}

export class ProductSearchResponseDto {
  items!: ProductResponseDto[];
  total!: number;
  page!: number;
  limit!: number;
  /** Counted over the whole filtered result, not only this page. */
  facets!: SearchFacetsDto;
}
