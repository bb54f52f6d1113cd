import { ApiProperty, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, NotEquals, ValidateBy } from 'class-validator';
import { IsOmittable, PaginatedResponseDto, PaginationQueryDto, Trim } from '@app/common';
import { Product, PRODUCT_STATUSES, type ProductStatus } from '../schemas/product.schema';
import { ratingAverageOf } from '../products.store';


/** Ten million in minor units: 100,000.00; larger prices are surely typos. */
export const MAX_PRICE = 10_000_000;
const MAX_STOCK = 1_000_000;
/** More of one product in one cart line or order is surely a typo (and more than any shelf holds). */
export const MAX_UNITS_PER_ORDER_LINE = 999;
// A named bound: the Swagger plugin drops a property whose decorator argument is `-NAME`.
const MIN_STOCK_DELTA = -MAX_STOCK;

/** A second name for a field: when both names are given, they must carry the same value. */
function AgreesWith(otherName: string) {
  return ValidateBy({
    name: 'agreesWith',
    constraints: [otherName],
    validator: {
      validate: (value: unknown, args) => {
        const other = (args?.object as Record<string, unknown> | undefined)?.[otherName];
        return other === undefined || other === value;
      },
      defaultMessage: (args) => `${args?.property} and ${otherName} name the same count: give one, or both with the same value`,
    },
  });
}

export class CreateProductDto {
  @Trim()
  @IsString()
  @Length(1, 200)
  title!: string;

  @IsString()
  @Length(1, 10_000)
  description!: string;

  @Trim()
  @IsString()
  @Length(1, 100)
  brand!: string;

  /** Slug of an existing category. */
  @IsString()
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'category must be a category slug' })
  @Length(1, 80)
  category!: string;

  /** Which tax rates apply: a lower-case slug such as `standard` (default) or `reduced`. */
  @IsOmittable()
  @IsString()
  @Length(1, 40)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'taxClass must be a lower-case slug, e.g. standard or reduced' })
  taxClass?: string;

  /** Price in minor units of the store currency (1999 = 19.99). */
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  price!: number;

  /** Units on hand: on create the opening stock, on update the counted quantity on the shelf (units orders hold are kept apart). In writes `stock` has always meant this; `stockOnHand` is the same count under the name admin reads give it (in reads `stock` is the sellable quantity). */
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;

  /** The same count as `stock`, by the name admin reads give it. On update either name will do; on create `stock` stays required. Both given with different values → 400. */
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  @AgreesWith('stock')
  stockOnHand?: number;

  @IsOmittable()
  @Trim()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tags?: string[];

  /** `active` (default, publicly visible), `draft` or `archived`. */
  @IsOmittable()
  @IsIn(PRODUCT_STATUSES)
  status?: ProductStatus;

  /** Most units one order (and one cart line) may hold, 1–999; omitted: the store's MAX_UNITS_PER_LINE. */
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(MAX_UNITS_PER_ORDER_LINE)
  maxPerOrder?: number;
}

// Omitted fields stay as they are; null is validated like any value (and refused), never stored.
export class UpdateProductDto extends PartialType(CreateProductDto, { skipNullProperties: false }) {}

/** A receipt (+) or write-off (−) of units on hand. */
export class StockAdjustmentDto {
  /** Units added (positive) or written off (negative); never 0. */
  @ApiProperty({ type: 'integer', not: { enum: [0] } })
  @IsInt()
  @NotEquals(0)
  @Min(MIN_STOCK_DELTA)
  @Max(MAX_STOCK)
  delta!: number;

  /** Why: "delivery from supplier", "damaged in storage", … */
  @Trim()
  @IsString()
  @Length(1, 200)
  reason!: string;
}

export class AdminProductListQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(PRODUCT_STATUSES)
  status?: ProductStatus;
}

export class ProductImageResponseDto {
  id!: string;
  url!: string;
}

export class ProductResponseDto {
  id!: string;
  title!: string;
  slug!: string;
  description!: string;
  brand!: string;
  /** Category slug. */
  category!: string;
  /** Which tax rates apply (default `standard`). */
  taxClass!: string;
  tags!: string[];
  /** Minor units. */
  price!: number;
  /** Store currency, ISO 4217 lower case. */
  currency!: string;
  /** Sellable units: on hand minus what orders hold, never below 0. */
  stock!: number;
  images!: ProductImageResponseDto[];
  /** Mean rating (1–5, unrounded) of the visible reviews; 0 without any. */
  ratingAverage!: number;
  /** How many visible reviews. */
  ratingCount!: number;
  status!: ProductStatus;
  /** Most units one order may hold, when the product has a limit of its own (else the store's MAX_UNITS_PER_LINE). */
  maxPerOrder?: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ProductListResponseDto extends PaginatedResponseDto(ProductResponseDto) {}

/** The admin view adds where the stock is. */
export class AdminProductResponseDto extends ProductResponseDto {
  /** Units on the shelf. */
  stockOnHand!: number;
  /** Units held by orders not shipped yet. */
  stockAllocated!: number;
}

export class AdminProductListResponseDto extends PaginatedResponseDto(AdminProductResponseDto) {}

export function toProductResponse(product: Product, currency: string): ProductResponseDto {
  return {
    id: product._id.toString(),
    title: product.title,
    slug: product.slug,
    description: product.description,
    brand: product.brand,
    category: product.category,
    taxClass: product.taxClass ?? 'standard',
    tags: product.tags,
    price: product.price,
    currency,
    stock: Math.max(0, product.stock),
    images: product.images.map((image) => ({ id: image._id.toString(), url: image.url })),
    // Derived from the exact sum and count, never the stored sort key (see ProductStore).
    ratingAverage: ratingAverageOf(product.ratingSum ?? 0, product.ratingCount),
    ratingCount: product.ratingCount,
    status: product.status,
    ...(product.maxPerOrder !== undefined && product.maxPerOrder !== null && { maxPerOrder: product.maxPerOrder }),
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
  };
}

export function toAdminProductResponse(product: Product, currency: string): AdminProductResponseDto {
  return { ...toProductResponse(product, currency), stockOnHand: product.stockOnHand, stockAllocated: product.stockAllocated };
}
