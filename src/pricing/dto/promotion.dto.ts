import { PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsMongoId, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOmittable, IsTimestamp, PaginatedResponseDto, Trim } from '@app/common';
import { MAX_PRICE } from '../../products/dto/product.dto';
import { PROMOTION_TYPES, type PromotionType } from '../quote';
import type { Promotion } from '../schemas/promotion.schema';

const MAX_USES = 10_000_000;

export class CreatePromotionDto {
  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  /** What the customer enters (3–40 letters, digits, - and _; compared case-insensitively); absent: applied automatically when eligible. */
  @IsOmittable()
  @Trim()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{3,40}$/, { message: 'code must be 3–40 letters, digits, - or _' })
  code?: string;

  /** `percentage`, `fixed` or `free_shipping`. */
  @IsIn(PROMOTION_TYPES)
  type!: PromotionType;

  /** `percentage`: basis points 1–10000 (1000 = 10 %); `fixed`: minor units; `free_shipping`: 0 or omitted. */
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  value?: number;

  /** Only these products' lines; absent: every line (within `categorySlugs`). */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsMongoId({ each: true })
  productIds?: string[];

  /** Only lines of these categories (slugs); absent: every line. A slug no category has matches nothing. */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  categorySlugs?: string[];

  /** The cart's subtotal (before discounts) must reach this, minor units. */
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  minSubtotal?: number;

  /** ISO 8601; from this moment on. */
  @IsOmittable()
  @IsTimestamp()
  startsAt?: string;

  /** ISO 8601; until this moment (excluded); after `startsAt`. */
  @IsOmittable()
  @IsTimestamp()
  endsAt?: string;

  /** Orders that may use it in all. */
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(MAX_USES)
  usageLimit?: number;

  /** Orders one customer (account, or a guest's email) may use it in. */
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(MAX_USES)
  perCustomerLimit?: number;

  /** Adds to other promotions (default false: only the best non-combinable one applies). */
  @IsOmittable()
  @IsBoolean()
  combinable?: boolean;

  /** Default true. */
  @IsOmittable()
  @IsBoolean()
  active?: boolean;
}

export class UpdatePromotionDto extends PartialType(CreatePromotionDto, { skipNullProperties: false }) {}

export class PromotionResponseDto {
  id!: string;
  name!: string;
  code?: string;
  type!: PromotionType;
  value!: number;
  productIds?: string[];
  categorySlugs?: string[];
  minSubtotal?: number;
  startsAt?: Date;
  endsAt?: Date;
  usageLimit?: number;
  perCustomerLimit?: number;
  combinable!: boolean;
  active!: boolean;
  /** Orders holding a use now (cancelled and expired orders gave theirs back). */
  used!: number;
  createdAt!: Date;
  updatedAt!: Date;
}

export class PromotionListResponseDto extends PaginatedResponseDto(PromotionResponseDto) {}

export function toPromotionResponse(promotion: Promotion): PromotionResponseDto {
  const optional = <K extends keyof Promotion>(key: K) => (promotion[key] === undefined || promotion[key] === null ? {} : { [key]: promotion[key] });
  return {
    id: promotion._id.toHexString(),
    name: promotion.name,
    ...optional('code'),
    type: promotion.type,
    value: promotion.value,
    ...optional('productIds'),
    ...optional('categorySlugs'),
    ...optional('minSubtotal'),
    ...optional('startsAt'),
    ...optional('endsAt'),
    ...optional('usageLimit'),
    ...optional('perCustomerLimit'),
    combinable: promotion.combinable,
    active: promotion.active,
    used: promotion.used,
    createdAt: promotion.createdAt,
    updatedAt: promotion.updatedAt,
  };
}
