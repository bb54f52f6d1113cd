import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';
import { ORDER_STATUSES, type OrderActor, type OrderStatus } from '../order-state';
import type { OrderEventType } from '../events/order-events';
import { PostalAddress } from '../../users/schemas/address.schema';

/** What was sold, copied at checkout: later product edits never change a past order. */
@Schema({ _id: false })
export class OrderLine {
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  productId!: Types.ObjectId;

  /** The variant sold; absent on orders from before variants, which sold the default variant (whose id is the product's). */
  @Prop({ type: SchemaTypes.ObjectId })
  variantId?: Types.ObjectId;

  /** The variant's sku and option values at checkout. */
  @Prop()
  sku?: string;

  @Prop({ type: SchemaTypes.Mixed })
  options?: Record<string, string>;

  @Prop({ required: true })
  title!: string;

  /** Unit price in minor units at the time of the checkout. */
  @Prop({ required: true })
  price!: number;

  @Prop({ required: true })
  quantity!: number;

  @Prop({ required: true })
  lineTotal!: number;

  @Prop()
  image?: string;

  /** The line's share of every promotion (what refunds of the line rely on); absent before pricing. */
  @Prop() discount?: number;
  /** Basis points. */
  @Prop() taxRate?: number;
  @Prop() tax?: number;
}
const OrderLineSchema = SchemaFactory.createForClass(OrderLine);

/** The shipping method charged, copied at checkout. */
@Schema({ _id: false })
export class OrderShippingMethod {
  @Prop({ required: true }) id!: string;
  @Prop({ required: true }) name!: string;
  /** What it cost this cart before promotions. */
  @Prop({ required: true }) price!: number;
}
const OrderShippingMethodSchema = SchemaFactory.createForClass(OrderShippingMethod);

/** A promotion the order used, copied at checkout; its use is held until the order is cancelled or expires. */
@Schema({ _id: false })
export class OrderPromotion {
  @Prop({ required: true }) promotionId!: string;
  @Prop() code?: string;
  @Prop({ required: true }) name!: string;
  /** Off goods and shipping, minor units. */
  @Prop({ required: true }) discount!: number;
}
const OrderPromotionSchema = SchemaFactory.createForClass(OrderPromotion);

/** Where the order goes: a copy of a postal address, so later address book edits never change it. */
@Schema({ _id: false })
export class ShippingAddress extends PostalAddress {}
const ShippingAddressSchema = SchemaFactory.createForClass(ShippingAddress);

export const PAYMENT_STATUSES = ['requires_payment', 'failed', 'succeeded', 'refund_pending', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

@Schema({ _id: false })
export class PaymentFailure {
  @Prop({ required: true }) at!: Date;
  @Prop({ required: true }) eventId!: string;
  @Prop() code?: string;
  @Prop() message?: string;
}
const PaymentFailureSchema = SchemaFactory.createForClass(PaymentFailure);

@Schema({ _id: false })
export class Refund {
  /** `requested` is claimed before the provider is called, so only one refund is ever asked for. */
  @Prop({ type: String, required: true, enum: ['requested', 'succeeded'] })
  state!: 'requested' | 'succeeded';

  @Prop({ required: true }) amount!: number;
  @Prop({ required: true }) reason!: string;
  @Prop({ required: true }) requestedAt!: Date;
  @Prop() refundId?: string;
  @Prop() completedAt?: Date;
}
const RefundSchema = SchemaFactory.createForClass(Refund);

@Schema({ _id: false })
export class Payment {
  /** `stripe` or `paypal`: the provider interface makes another one a new class. */
  @Prop({ required: true }) provider!: string;

  @Prop({ type: String, required: true, enum: PAYMENT_STATUSES, default: 'requires_payment' })
  status!: PaymentStatus;

  /** The provider's payment: a Stripe PaymentIntent id, a PayPal order id. */
  @Prop() intentId?: string;
  @Prop() clientSecret?: string;
  /** Redirect providers (PayPal): where the buyer approves the payment. */
  @Prop() approvalUrl?: string;

  /** Declines and other failures the provider reported; the order stays payable. */
  @Prop({ type: [PaymentFailureSchema], default: [] })
  failures!: PaymentFailure[];

  /** Successes that did not match the order (amount, currency or intent), kept for a human. */
  @Prop({ type: [String], default: [] })
  rejectedEvents!: string[];

  @Prop({ type: RefundSchema })
  refund?: Refund;
}
const PaymentSchema = SchemaFactory.createForClass(Payment);

@Schema({ _id: false })
export class HistoryEntry {
  @Prop({ type: String, required: true }) status!: OrderStatus;
  @Prop({ required: true }) at!: Date;
  @Prop({ type: String, required: true }) by!: OrderActor | 'system';
  @Prop() note?: string;
}
const HistoryEntrySchema = SchemaFactory.createForClass(HistoryEntry);

/** An event recorded with the write that caused it, waiting to be handed to the queue. */
@Schema({ _id: false })
export class OutboxEntry {
  /** ObjectId hex: unique, and part of the job id. */
  @Prop({ required: true }) eventId!: string;
  @Prop({ type: String, required: true }) type!: OrderEventType;
  @Prop({ required: true }) at!: Date;
  /** The event's place among the order's events (1, 2, …): webhooks send it as `sequence`. */
  @Prop() sequence?: number;
}
const OutboxEntrySchema = SchemaFactory.createForClass(OutboxEntry);

/**
 * Where the order's stock stands. Each inventory effect is idempotent per order on the product
 * side, and this field records that it was done, so the sweeper can finish an effect a crash
 * interrupted (a cancelled order whose units are still `held`, a shipped one not yet `shipped`).
 */
export const INVENTORY_STATES = ['held', 'released', 'shipped'] as const;
export type InventoryState = (typeof INVENTORY_STATES)[number];

@Schema({ collection: 'orders', timestamps: true })
export class Order {
  _id!: Types.ObjectId;

  /** Short, human-readable and unique (OrderNumbers), never the id. */
  @Prop({ required: true, unique: true })
  number!: string;

  /** The account the order belongs to; absent on a guest's order until a verified account claims it. */
  @Prop({ type: SchemaTypes.ObjectId })
  userId?: Types.ObjectId;

  /**
   * Where order emails go and what a lookup must name: the account's email at checkout, or the
   * guest's (lower-cased). Absent on orders placed before it was recorded.
   */
  @Prop({ lowercase: true, trim: true })
  email?: string;

  @Prop({ type: String, required: true, enum: ORDER_STATUSES })
  status!: OrderStatus;

  @Prop({ type: [OrderLineSchema], required: true })
  items!: OrderLine[];

  @Prop({ required: true }) subtotal!: number;
  @Prop({ required: true }) shippingTotal!: number;
  @Prop({ required: true }) total!: number;
  // The quote's other amounts (API.md, "Money"); absent on orders placed before pricing (read as 0).
  @Prop() discountTotal?: number;
  @Prop() shippingDiscount?: number;
  @Prop() shippingTax?: number;
  @Prop() taxTotal?: number;
  /** `total` contains `taxTotal` (PRICES_INCLUDE_TAX when the order was placed). */
  @Prop() pricesIncludeTax?: boolean;

  @Prop({ type: OrderShippingMethodSchema })
  shippingMethod?: OrderShippingMethod;

  @Prop({ type: [OrderPromotionSchema], default: [] })
  promotions!: OrderPromotion[];

  /** Upper-case codes of `promotions`, for the admin's filter (codes compare case-insensitively). */
  @Prop({ type: [String], default: undefined })
  promotionCodes?: string[];

  /** Whose uses the promotions are (perCustomerLimit; promotionCustomerOf): given back to them. */
  @Prop()
  promotionCustomer?: string;
  @Prop({ required: true }) currency!: string;

  @Prop({ type: ShippingAddressSchema, required: true })
  shippingAddress!: ShippingAddress;

  @Prop({ type: PaymentSchema, required: true })
  payment!: Payment;

  @Prop() trackingNumber?: string;

  @Prop({ type: [HistoryEntrySchema], default: [] })
  history!: HistoryEntry[];

  @Prop({ type: [OutboxEntrySchema], default: [] })
  outbox!: OutboxEntry[];

  /** How many events the order has recorded; the last one's `sequence` (see OrderStore). */
  @Prop()
  eventSequence?: number;

  @Prop({ type: String, required: true, enum: INVENTORY_STATES, default: 'held' })
  inventory!: InventoryState;

  /** Unpaid orders are cancelled after this moment (ORDER_PAYMENT_TTL_MINUTES). */
  @Prop()
  paymentDueAt?: Date;

  /**
   * `<userId>:<Idempotency-Key>`, or `order:<id>` without a key: always set and unique, so the
   * unique index decides which of several simultaneous checkouts with one key places the order.
   */
  @Prop({ required: true, unique: true })
  idempotencyScope!: string;

  /** Fingerprint of what was asked for (lines and address): the same key with another cart → 422. */
  @Prop({ required: true })
  requestHash!: string;

  createdAt!: Date;
  updatedAt!: Date;
}

export type OrderDocument = HydratedDocument<Order>;
export const OrderSchema = SchemaFactory.createForClass(Order);
OrderSchema.index({ userId: 1, createdAt: -1 });
OrderSchema.index({ status: 1, createdAt: -1 });
OrderSchema.index({ status: 1, paymentDueAt: 1 });
OrderSchema.index({ 'outbox.at': 1 });
OrderSchema.index({ promotionCodes: 1, createdAt: -1 });
