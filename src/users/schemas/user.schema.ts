import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';
import { ROLES, type Role } from '../../access/roles';


@Schema({ _id: true, timestamps: false })
export class Address {
  _id!: Types.ObjectId;

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

  @Prop({ default: false })
  isDefault!: boolean;
}
export const AddressSchema = SchemaFactory.createForClass(Address);

@Schema({ collection: 'users', timestamps: true, optimisticConcurrency: true })
export class User {
  _id!: Types.ObjectId;

  /** Stored lower-cased: the stand-in ignores collations, so uniqueness relies on normalizing. */
  @Prop({ required: true, unique: true, lowercase: true, trim: true })
  email!: string;

  @Prop({ required: true, trim: true })
  name!: string;

  @Prop({ type: String, required: true, enum: ROLES, default: 'customer' })
  role!: Role;

  /** argon2id hash; never selected unless asked for, never serialized. */
  @Prop({ required: true, select: false })
  passwordHash!: string;

  /** Embedded so that "at most one default" is kept by single-document updates. */
  @Prop({ type: [AddressSchema], default: [] })
  addresses!: Address[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);
