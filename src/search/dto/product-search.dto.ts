import { Transform, Type } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { PaginationQueryDto, Trim } from '@app/common';
import { MAX_PRICE, OPTION_TEXT_MAX, ProductResponseDto } from '../../products/dto/product.dto';
import { MAX_OPTIONS } from '../../products/variants';

export const SEARCH_SORTS = ['relevance', 'newest', 'price_asc', 'price_desc', 'rating'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

// Read the raw value: implicit conversion would already have turned "false" into true.
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return raw;
};

/**
 * Option names a filter can name: one path segment of a variant's `options` (no '.', no leading
 * '$', no NUL, which BSON field names cannot hold), which is also what the query string can
 * carry as `option.<Name>`.
 */
export const OPTION_NAME_PATTERN = /^[^.$\0][^.\0]*$/;

/**
 * What is wrong with the `option` filters (name → value, folded from `option.<Name>=<value>` by
 * OptionFiltersMiddleware), or null: an object of at most MAX_OPTIONS names, each given once,
 * each name and value 1–OPTION_TEXT_MAX characters.
 */
export function optionFiltersProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'option filters are written option.<Name>=<value>';
  const entries = Object.entries(value);
  if (entries.length > MAX_OPTIONS) return `at most ${MAX_OPTIONS} option filters (a product has at most ${MAX_OPTIONS} options)`;
  for (const [name, text] of entries) {
    const length = [...name].length;
    if (length < 1 || length > OPTION_TEXT_MAX || !OPTION_NAME_PATTERN.test(name)) {
      return `option name "${name}" must be 1–${OPTION_TEXT_MAX} characters, without "." or NUL and not starting with "$"`;
    }
    if (Array.isArray(text)) return `option.${name} is given more than once`;
    if (typeof text !== 'string' || [...text].length < 1 || [...text].length > OPTION_TEXT_MAX) {
      return `option.${name} must be a value of 1–${OPTION_TEXT_MAX} characters`;
    }
  }
  return null;
}

function IsOptionFilters() {
  return ValidateBy({
    name: 'isOptionFilters',
    validator: {
      validate: (value: unknown) => optionFiltersProblem(value) === null,
      defaultMessage: (args) => optionFiltersProblem(args?.value) ?? 'option filters are written option.<Name>=<value>',
    },
  });
}

/** Documented as OpenAPI's deepObject (`option[Size]=M`), the form a schema can state; the dotted form is in the description. */
const OPTION_FILTERS_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'string', minLength: 1, maxLength: OPTION_TEXT_MAX },
  maxProperties: MAX_OPTIONS,
} as const;

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
  @Matches(/\S/, { message: 'brand must not be blank' })
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

  /**
   * Option values a variant must have, e.g. `option.Size=M&option.Color=Red` (also written
   * `option[Size]=M`): a product matches when ONE of its active variants has all of them and
   * meets `minPrice`, `maxPrice` and `inStock` too. Option names and values are compared exactly.
   */
  @ApiProperty(OPTION_FILTERS_SCHEMA)
  @IsOptional()
  @IsOptionFilters()
  option?: Record<string, string>;

  /** `relevance` is the default with `q`, `newest` without. */
  @IsOptional()
  @IsIn(SEARCH_SORTS)
  sort?: SearchSort;
}

export class FacetCountDto {
  value!: string;
  count!: number;
}

export class OptionFacetDto {
  /** An option name, e.g. `Size`. */
  name!: string;
  /** Per value: how many products of the result have a matching variant with it. */
  values!: FacetCountDto[];
}

export class SearchFacetsDto {
  brands!: FacetCountDto[];
  categories!: FacetCountDto[];
  /** Option names in order; counted in products, over the variants that meet the query's variant conditions. */
  options!: OptionFacetDto[];
}

export class ProductSearchResponseDto {
  items!: ProductResponseDto[];
  total!: number;
  page!: number;
  limit!: number;
  /** Counted over the whole filtered result, not only this page. */
  facets!: SearchFacetsDto;
}
