import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsMongoId,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  NotEquals,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOmittable, PaginatedResponseDto, PaginationQueryDto, Trim } from '@app/common';
import {
  Product,
  PRODUCT_STATUSES,
  type ProductStatus,
  type ProductVariant,
  type StockMovement,
  STOCK_MOVEMENT_KINDS,
  type StockMovementKind,
  VARIANT_STATUSES,
  type VariantStatus,
} from '../schemas/product.schema';
import { ratingAverageOf } from '../products.store';
import { MAX_OPTION_VALUES, MAX_OPTIONS } from '../variants';

/** Variants of one product: enough for 3 options of a dozen values that really exist together. */
export const MAX_VARIANTS = 250;
export const OPTION_TEXT_MAX = 40;


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

/** An object of option name → value (e.g. `{"Size": "M", "Color": "Red"}`): at most 3 entries, each a non-empty string. */
function IsOptionValues() {
  return ValidateBy({
    name: 'isOptionValues',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length <= MAX_OPTIONS &&
        Object.entries(value).every(
          ([name, text]) => name.length >= 1 && name.length <= OPTION_TEXT_MAX && typeof text === 'string' && text.length >= 1 && text.length <= OPTION_TEXT_MAX,
        ),
      defaultMessage: (args) => `${args?.property} must be an object of at most ${MAX_OPTIONS} option names, each with a value of 1–${OPTION_TEXT_MAX} characters`,
    },
  });
}

/** Option values documented as an object of strings (the Swagger plugin cannot infer a record). */
const OPTION_VALUES_SCHEMA = { type: 'object', additionalProperties: { type: 'string', minLength: 1, maxLength: OPTION_TEXT_MAX }, maxProperties: MAX_OPTIONS } as const;

export class ProductOptionDto {
  /**
   * e.g. `Size`. Without `.`, `$`, `[` or `]`: the name is a key of each variant's option values
   * and of the search filter `option.<Name>=` / `option[Name]=`, where those characters would
   * name something else.
   */
  @Trim()
  @IsString()
  @Length(1, OPTION_TEXT_MAX)
  // Not blank either: whitespace alone is trimmed to nothing.
  @Matches(/^[^.$[\]]*[^.$[\]\s][^.$[\]]*$/, { message: 'an option name cannot contain ".", "$", "[" or "]", nor be blank' })
  name!: string;

  /** e.g. `["S", "M", "L"]` */
  @Trim()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_OPTION_VALUES)
  @IsString({ each: true })
  @Length(1, OPTION_TEXT_MAX, { each: true })
  @Matches(/\S/, { each: true, message: 'each of values must not be blank' })
  values!: string[];
}

export class CreateVariantDto {
  /** Unique in the store, compared case-insensitively. */
  @Trim()
  @IsString()
  @Length(1, 64)
  @Matches(/^[\w.\-/]+$/, { message: 'sku may hold letters, digits and . - _ /' })
  sku!: string;

  /** A value for every option of the product, each one it declares. */
  @ApiProperty(OPTION_VALUES_SCHEMA)
  @IsOptionValues()
  options!: Record<string, string>;

  /** Minor units of the store currency. */
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  price!: number;

  /** Opening units on hand. */
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;

  /** Ids of the product's images that show this variant. */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(10)
  @IsMongoId({ each: true })
  imageIds?: string[];

  /** Most units of this variant per order, 1–999; omitted: the product's `maxPerOrder`, then MAX_UNITS_PER_LINE. */
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(MAX_UNITS_PER_ORDER_LINE)
  maxPerOrder?: number;
}

/** Any of these; `stock` is the counted quantity on hand (units orders hold are kept apart). */
export class UpdateVariantDto extends PartialType(OmitType(CreateVariantDto, ['options'] as const), { skipNullProperties: false }) {
  /** `archived` takes the variant out of sale (as DELETE does); `active` puts it back. */
  @IsOmittable()
  @IsIn(VARIANT_STATUSES)
  status?: VariantStatus;
}

export class CreateProductDto {
  @Trim()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'title must not be blank' })
  title!: string;

  @IsString()
  @Length(1, 10_000)
  description!: string;

  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'brand must not be blank' })
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

  /** Price in minor units of the store currency (1999 = 19.99) of the default variant; required unless `variants` are given (then leave it out). */
  @ValidateIf((dto: CreateProductDto, value: unknown) => dto.variants === undefined || value !== undefined)
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  price?: number;

  /** Units on hand of the default variant, required unless `variants` are given (then leave it out): on create the opening stock, on update the counted quantity on the shelf (units orders hold are kept apart). In writes `stock` has always meant this; `stockOnHand` is the same count under the name admin reads give it (in reads `stock` is the sellable quantity). */
  @ValidateIf((dto: CreateProductDto, value: unknown) => dto.variants === undefined || value !== undefined)
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock?: number;

  /** The default variant's sku (without `variants`); omitted: the product's slug. */
  @IsOmittable()
  @Trim()
  @IsString()
  @Length(1, 64)
  @Matches(/^[\w.\-/]+$/, { message: 'sku may hold letters, digits and . - _ /' })
  sku?: string;

  /** Up to 3 options (Size, Color, …), each with up to 50 values. */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(MAX_OPTIONS)
  @ValidateNested({ each: true })
  @Type(() => ProductOptionDto)
  options?: ProductOptionDto[];

  /** The variants on sale, one per combination of option values that exists; without it, `price` and `stock` make the one default variant. */
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_VARIANTS)
  @ValidateNested({ each: true })
  @Type(() => CreateVariantDto)
  variants?: CreateVariantDto[];

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
  @Matches(/\S/, { each: true, message: 'each of tags must not be blank' })
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
// `price` and `stock` here reach the product's only variant (with several → 409); options,
// variants and skus have their own routes.
export class UpdateProductDto extends PartialType(OmitType(CreateProductDto, ['sku', 'options', 'variants'] as const), { skipNullProperties: false }) {}

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
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}

/** Most stock movements in one page. */
export const MAX_STOCK_MOVEMENT_PAGE = 500;

/** Paging of a product's stock movements; without either, the whole list. */
export class StockMovementListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_STOCK_MOVEMENT_PAGE, description: 'At most this many movements (the newest ones below `before`); all when omitted.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_STOCK_MOVEMENT_PAGE)
  limit?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'Only movements older than this one: the `sequence` of the last movement of the previous page.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;
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

export class ProductOptionResponseDto {
  name!: string;
  values!: string[];
}

export class PriceRangeResponseDto {
  min!: number;
  max!: number;
}

export class VariantResponseDto {
  id!: string;
  sku!: string;
  /** Option name → value; `{}` for a product's default variant. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  options!: Record<string, string>;
  /** Minor units. */
  price!: number;
  /** Sellable units (0 when archived). */
  stock!: number;
  imageIds!: string[];
  /** `archived`: no longer sold or listed. */
  status!: VariantStatus;
  /** Most units of this variant per order, when it has a limit of its own. */
  maxPerOrder?: number;
}

export class AdminVariantResponseDto extends VariantResponseDto {
  /** Units on the shelf. */
  stockOnHand!: number;
  /** Units held by orders not shipped yet. */
  stockAllocated!: number;
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
  /** Minor units: the lowest price of the active variants. */
  price!: number;
  /** Lowest and highest price of the active variants. */
  priceRange!: PriceRangeResponseDto;
  /** Store currency, ISO 4217 lower case. */
  currency!: string;
  /** Sellable units of the active variants: on hand minus what orders hold, never below 0. */
  stock!: number;
  images!: ProductImageResponseDto[];
  /** The options the variants are made of (empty for a product sold as one thing). */
  options!: ProductOptionResponseDto[];
  /** Public reads list the active variants; admin reads every one. */
  variants!: VariantResponseDto[];
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
export class AdminProductResponseDto extends OmitType(ProductResponseDto, ['variants'] as const) {
  /** Units on the shelf. */
  stockOnHand!: number;
  /** Units held by orders not shipped yet. */
  stockAllocated!: number;
  /** Every variant, archived ones too, with where its stock is. */
  variants!: AdminVariantResponseDto[];
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
    priceRange: { min: product.priceRange?.min ?? product.price, max: product.priceRange?.max ?? product.price },
    currency,
    stock: Math.max(0, product.stock),
    images: product.images.map((image) => ({ id: image._id.toString(), url: image.url })),
    options: (product.options ?? []).map((option) => ({ name: option.name, values: [...option.values] })),
    variants: (product.variants ?? []).filter((variant) => variant.status === 'active').map(toVariantResponse),
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
  return {
    ...toProductResponse(product, currency),
    stockOnHand: product.stockOnHand,
    stockAllocated: product.stockAllocated,
    variants: (product.variants ?? []).map((variant) => ({ ...toVariantResponse(variant), stockOnHand: variant.stockOnHand, stockAllocated: variant.stockAllocated })),
  };
}

function toVariantResponse(variant: ProductVariant): VariantResponseDto {
  return {
    id: variant._id.toString(),
    sku: variant.sku,
    options: { ...(variant.options ?? {}) },
    price: variant.price,
    stock: variant.status === 'active' ? Math.max(0, variant.stock) : 0,
    imageIds: (variant.imageIds ?? []).map((id) => id.toString()),
    status: variant.status,
    ...(variant.maxPerOrder !== undefined && variant.maxPerOrder !== null && { maxPerOrder: variant.maxPerOrder }),
  };
}

export class StockMovementResponseDto {
  /** 1, 2, … per product in the order of the writes that moved its stock; page on with `before` = the last one's. */
  @ApiProperty({ type: 'integer' })
  sequence!: number;
  at!: Date;
  variantId!: string;
  /** `opening` (stock a variant started with), `allocation`, `release`, `shipment`, `adjustment`, `count`. */
  @ApiProperty({ enum: STOCK_MOVEMENT_KINDS })
  kind!: StockMovementKind;
  /** Units: sellable for allocation (−) and release (+); on hand for shipment (−), adjustment, count and opening. */
  delta!: number;
  orderId?: string;
  /** The admin who made an adjustment or count. */
  actor?: string;
  reason?: string;
}

export function toStockMovementResponse(movement: StockMovement & { sequence: number }): StockMovementResponseDto {
  return {
    sequence: movement.sequence,
    at: movement.at,
    variantId: movement.variantId.toString(),
    kind: movement.kind,
    delta: movement.delta,
    ...(movement.orderId && { orderId: movement.orderId.toString() }),
    ...(movement.actor && { actor: movement.actor.toString() }),
    ...(movement.reason && { reason: movement.reason }),
  };
}
