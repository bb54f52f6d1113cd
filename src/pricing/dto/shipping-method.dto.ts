import { PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsISO31661Alpha2, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOmittable, PaginatedResponseDto, Trim } from '@app/common';
import { MAX_PRICE } from '../../products/dto/product.dto';
import type { ShippingMethod } from '../schemas/shipping-method.schema';
import { UpperCase } from './pricing-fields';

export class CreateShippingMethodDto {
  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  /** ISO-2 codes where it ships; empty: everywhere. */
  @UpperCase()
  @IsArray()
  @ArrayMaxSize(250)
  @ArrayUnique()
  @IsISO31661Alpha2({ each: true })
  countries!: string[];

  /** Minor units. */
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  price!: number;

  /** Free from this subtotal (after discounts, before tax) on. */
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  freeFrom?: number;

  /** Offered only from this subtotal (after discounts, before tax) on. */
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  minSubtotal?: number;

  /** Offered only up to this subtotal (after discounts, before tax); not below minSubtotal. */
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  maxSubtotal?: number;

  /** False withdraws the method (default true). */
  @IsOmittable()
  @IsBoolean()
  active?: boolean;
}

export class UpdateShippingMethodDto extends PartialType(CreateShippingMethodDto, { skipNullProperties: false }) {}

export class ShippingMethodResponseDto {
  id!: string;
  name!: string;
  countries!: string[];
  price!: number;
  freeFrom?: number;
  minSubtotal?: number;
  maxSubtotal?: number;
  active!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ShippingMethodListResponseDto extends PaginatedResponseDto(ShippingMethodResponseDto) {}

export function toShippingMethodResponse(method: ShippingMethod): ShippingMethodResponseDto {
  return {
    id: method._id.toHexString(),
    name: method.name,
    countries: method.countries,
    price: method.price,
    ...(method.freeFrom !== undefined && method.freeFrom !== null && { freeFrom: method.freeFrom }),
    ...(method.minSubtotal !== undefined && method.minSubtotal !== null && { minSubtotal: method.minSubtotal }),
    ...(method.maxSubtotal !== undefined && method.maxSubtotal !== null && { maxSubtotal: method.maxSubtotal }),
    active: method.active,
    createdAt: method.createdAt,
    updatedAt: method.updatedAt,
  };
}
