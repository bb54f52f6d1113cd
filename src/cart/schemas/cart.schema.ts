import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';

/** A line holds only what the customer chose; title, price and stock are read fresh. */
@Schema({ _id: false })
export class CartLine {
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  productId!: Types.ObjectId;

  /** The variant; absent on lines from before variants, which name the default variant (whose id is the product's). */
  @Prop({ type: SchemaTypes.ObjectId })
  variantId?: Types.ObjectId;

  @Prop({ required: true, min: 1 })
  quantity!: number;

  /** A guest cart merged into this one wanted more units than were sellable; the line holds what was. */
  @Prop()
  cappedAtMerge?: boolean;
}
const CartLineSchema = SchemaFactory.createForClass(CartLine);

/**
 * One cart per user, and one per guest token. A guest cart's `userId` is a fresh ObjectId that no
 * account has (its owner id): the unique index on `userId` that databases already hold stays as it
 * is, and every cart rule works on guest carts unchanged.
 */
@Schema({ collection: 'carts', timestamps: true })
export class Cart {
  _id!: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true, unique: true })
  userId!: Types.ObjectId;

  /** A guest cart's key: the SHA-256 of its `X-Cart-Token` (the token itself is never stored). Unset once merged. */
  @Prop({ unique: true, sparse: true })
  guestTokenHash?: string;

  /** A guest cart is forgotten after this (GUEST_CART_TTL_DAYS after its last use); MongoDB's TTL monitor deletes it. */
  @Prop({ expires: 0 })
  guestExpiresAt?: Date;

  /** The account a guest cart was merged into (its token was consumed in the same write). */
  @Prop({ type: SchemaTypes.ObjectId })
  mergedInto?: Types.ObjectId;

  /**
   * An account cart: the guest carts whose lines it took (the latest few), added in the same write
   * as their lines, so that a merge finished again (after a crash between consuming the token and
   * adding the lines) adds them once.
   */
  @Prop({ type: [SchemaTypes.ObjectId], default: undefined })
  mergedFrom?: Types.ObjectId[];

  @Prop({ type: [CartLineSchema], default: [] })
  items!: CartLine[];

  /** Promotion codes the customer entered, normalized (trimmed, upper case); priced by the quote. */
  @Prop({ type: [String], default: [] })
  promotionCodes!: string[];

  /**
   * Bumped by every change; each write is conditioned on the version it read, so two tabs
   * editing one cart cannot lose each other's lines, and checkout empties only the cart it
   * ordered (not lines added while it ran).
   */
  @Prop({ required: true, default: 0 })
  version!: number;

  createdAt!: Date;
  updatedAt!: Date;
}

export type CartDocument = HydratedDocument<Cart>;
export const CartSchema = SchemaFactory.createForClass(Cart);
