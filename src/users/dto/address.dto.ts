import { ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsISO31661Alpha2, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsOmittable, Trim } from '@app/common';
import type { Address, PostalAddressFields } from '../schemas/address.schema';

/** The postal fields as `PostalAddress` declares them (the compiler holds the two together), and `isDefault`. */
export class CreateAddressDto implements PostalAddressFields {
  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'fullName must not be blank' })
  fullName!: string;

  @Trim()
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'line1 must not be blank' })
  line1!: string;

  /** null or an empty string clears it. */
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @Length(0, 200)
  line2?: string | null;

  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'city must not be blank' })
  city!: string;

  /** null or an empty string clears it. */
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @Length(0, 100)
  state?: string | null;

  @Trim()
  @IsString()
  @Length(1, 20)
  @Matches(/\S/, { message: 'postalCode must not be blank' })
  postalCode!: string;

  /** ISO 3166-1 alpha-2 country code, e.g. `DE`. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toUpperCase() : value))
  @IsISO31661Alpha2()
  country!: string;

  /** null clears it. */
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @Trim()
  @Matches(/^\+?[0-9 ()-]{5,25}$/, { message: 'phone must be 5-25 digits, spaces, parentheses or dashes' })
  phone?: string;

  /** Makes this the default address; the previous default stops being one. */
  @IsOmittable()
  @IsBoolean()
  isDefault?: boolean;
}

// Omitted fields stay as they are; null clears an optional line and is refused elsewhere.
export class UpdateAddressDto extends PartialType(CreateAddressDto, { skipNullProperties: false }) {}

export class AddressResponseDto extends OmitType(CreateAddressDto, ['isDefault'] as const) {
  id!: string;
  isDefault!: boolean;
}

export function toAddressResponse(address: Address): AddressResponseDto {
  return {
    id: address._id.toString(),
    fullName: address.fullName,
    line1: address.line1,
    // null (sent to clear an optional line) is absent in the answer, as the schema says.
    line2: address.line2 ?? undefined,
    city: address.city,
    state: address.state ?? undefined,
    postalCode: address.postalCode,
    country: address.country,
    phone: address.phone ?? undefined,
    isDefault: address.isDefault,
  };
}
