import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * The one postal address of the shop: an address book entry is one with an id, and an order keeps
 * a copy of one (`ShippingAddress`). The input DTO (`CreateAddressDto`) is checked against these
 * fields by the compiler, and the other DTOs are derived from it.
 */
@Schema({ _id: false })
export class PostalAddress {
  @Prop({ required: true, trim: true })
  fullName!: string;

  @Prop({ required: true, trim: true })
  line1!: string;

  @Prop({ trim: true })
  line2?: string;

  @Prop({ required: true, trim: true })
  city!: string;

  @Prop({ trim: true })
  state?: string;

  @Prop({ required: true, trim: true })
  postalCode!: string;

  /** ISO 3166-1 alpha-2, upper case. */
  @Prop({ required: true, uppercase: true })
  country!: string;

  @Prop({ trim: true })
  phone?: string;
}

/** The fields of a postal address as an input may carry them: null where it clears an optional line. */
export type PostalAddressFields = {
  [K in keyof PostalAddress]: undefined extends PostalAddress[K] ? PostalAddress[K] | null : PostalAddress[K];
};

/**
 * A copy of just the postal fields, without an empty optional line: what an order keeps of an
 * address book entry or of an address given at checkout, so the same address fingerprints alike.
 */
export function toPostalAddress(address: PostalAddressFields): PostalAddress {
  const { fullName, line1, line2, city, state, postalCode, country, phone } = address;
  return { fullName, line1, city, postalCode, country, ...(line2 && { line2 }), ...(state && { state }), ...(phone && { phone }) };
}

/** An entry of a user's address book. */
@Schema({ _id: true, timestamps: false })
export class Address extends PostalAddress {
  _id!: Types.ObjectId;

  @Prop({ default: false })
  isDefault!: boolean;
}
export const AddressSchema = SchemaFactory.createForClass(Address);
