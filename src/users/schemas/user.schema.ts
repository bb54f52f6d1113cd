import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';
import { ROLES, type Role } from '../../access/roles';
import { Address, AddressSchema } from './address.schema';

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

  /** Set once the owner used an emailed verification token; accounts made before it count as unverified. */
  @Prop()
  emailVerified?: boolean;

  /** argon2id hash; never selected unless asked for, never serialized. */
  @Prop({ required: true, select: false })
  passwordHash!: string;

  /**
   * Moves by one, in the same MongoDB write, whenever every sign-in of the user must end (a new
   * password, another role). Sessions and password-reset links carry the generation they were
   * made in and stop working once it moved, even when Redis, which holds them, lost the deletes
   * (a restart from an older snapshot, a failover to a replica that lagged) or the process died
   * between this write and them. Missing on accounts made before it: read as 0. No schema
   * default: Mongoose would fill it in on a document loaded without it and write it back with the
   * next save (an address book), over a generation moved in between.
   */
  @Prop({ min: 0 })
  sessionGeneration?: number;

  /** Embedded so that "at most one default" is kept by single-document updates. */
  @Prop({ type: [AddressSchema], default: [] })
  addresses!: Address[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);
