import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';

/** A line holds only what the customer chose; title, price and stock are read fresh. */
@Schema({ _id: false })
export class CartLine {
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  productId!: Types.ObjectId;

  @Prop({ required: true, min: 1 })
  quantity!: number;
}
const CartLineSchema = SchemaFactory.createForClass(CartLine);

/** One cart per user. */
@Schema({ collection: 'carts', timestamps: true })
export class Cart {
  _id!: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true, unique: true })
  userId!: Types.ObjectId;

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
