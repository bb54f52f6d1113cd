import { PartialType } from '@nestjs/swagger';
import { IsInt, IsISO31661Alpha2, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOmittable, PaginatedResponseDto, Trim } from '@app/common';
import type { TaxRate } from '../schemas/tax-rate.schema';
import { UpperCase } from './pricing-fields';

/** Basis points below 100 %: a rate of 100 % or more is surely a typo. */
export const MAX_TAX_RATE = 9_999;

export class CreateTaxRateDto {
  /** ISO 3166-1 alpha-2, e.g. `DE`. */
  @UpperCase()
  @IsISO31661Alpha2()
  country!: string;

  /** A region of the country as addresses name it in `state` (e.g. `CA`); absent: the whole country. */
  @IsOmittable()
  @UpperCase()
  @IsString()
  @Length(1, 100)
  region?: string;

  /** The products' `taxClass` this rate is for (default `standard`). */
  @IsOmittable()
  @IsString()
  @Length(1, 40)
  // A literal: the Swagger plugin documents only literal patterns (the fuzzer holds the document to it).
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'taxClass must be a lower-case slug, e.g. standard or reduced' })
  taxClass?: string;

  /** Basis points (2000 = 20 %), 0–9999. */
  @IsInt()
  @Min(0)
  @Max(MAX_TAX_RATE)
  rate!: number;

  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

export class UpdateTaxRateDto extends PartialType(CreateTaxRateDto, { skipNullProperties: false }) {}

export class TaxRateResponseDto {
  id!: string;
  country!: string;
  region?: string;
  taxClass!: string;
  /** Basis points. */
  rate!: number;
  name!: string;
  createdAt!: Date;
  updatedAt!: Date;
}

export class TaxRateListResponseDto extends PaginatedResponseDto(TaxRateResponseDto) {}

export function toTaxRateResponse(rate: TaxRate): TaxRateResponseDto {
  return {
    id: rate._id.toHexString(),
    country: rate.country,
    ...(rate.region && { region: rate.region }),
    taxClass: rate.taxClass,
    rate: rate.rate,
    name: rate.name,
    createdAt: rate.createdAt,
    updatedAt: rate.updatedAt,
  };
}
