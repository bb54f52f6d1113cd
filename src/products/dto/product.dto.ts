import { PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { PaginatedResponseDto, PaginationQueryDto, Trim } from '@app/common';
import { Product, PRODUCT_STATUSES, type ProductStatus } from '../schemas/product.schema';


/** Ten million in minor units: 100,000.00; larger prices are surely typos. */
const MAX_PRICE = 10_000_000;
const MAX_STOCK = 1_000_000;

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

  /** Price in minor units of the store currency (1999 = 19.99). */
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  price!: number;

  /** Units in stock. */
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;

  @IsOptional()
  @Trim()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, 40, { each: true })
  tags?: string[];

  /** `active` (default, publicly visible), `draft` or `archived`. */
  @IsOptional()
  @IsIn(PRODUCT_STATUSES)
  status?: ProductStatus;
}

export class UpdateProductDto extends PartialType(CreateProductDto) {}

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
  tags!: string[];
  /** Minor units. */
  price!: number;
  /** Store currency, ISO 4217 lower case. */
  currency!: string;
  stock!: number;
  images!: ProductImageResponseDto[];
  ratingAverage!: number;
  ratingCount!: number;
  status!: ProductStatus;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ProductListResponseDto extends PaginatedResponseDto(ProductResponseDto) {}

export function toProductResponse(product: Product, currency: string): ProductResponseDto {
  return {
    id: product._id.toString(),
    title: product.title,
    slug: product.slug,
    description: product.description,
    brand: product.brand,
    category: product.category,
    tags: product.tags,
    price: product.price,
    currency,
    stock: product.stock,
    images: product.images.map((image) => ({ id: image._id.toString(), url: image.url })),
    ratingAverage: product.ratingAverage,
    ratingCount: product.ratingCount,
    status: product.status,
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
  };
}
