import { ApiProperty, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsMongoId, IsOptional, IsString, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsTimestamp, NormalizeEmail, PaginatedResponseDto, PaginationQueryDto, Trim } from '@app/common';
import { PAYMENT_PROVIDER_NAMES } from '../../payment-providers/payment-provider';
import { AddressResponseDto, CreateAddressDto } from '../../users/dto/address.dto';
import { ShippingMethodChoiceDto } from '../../pricing/dto/quote.dto';
import { VISIBLE_ORDER_STATUSES, type VisibleOrderStatus } from '../order-state';
import type { Order } from '../schemas/order.schema';
import type { PaymentStatus } from '../schemas/order.schema';

export class ShippingAddressDto extends OmitType(CreateAddressDto, ['isDefault'] as const) {}

export class CheckoutDto {
  /** An address from the caller's address book; or give `shippingAddress`. */
  @IsOptional()
  @IsMongoId()
  addressId?: string;

  /** An address for this order only; or give `addressId`. */
  @IsOptional()
  @ValidateNested()
  @Type(() => ShippingAddressDto)
  shippingAddress?: ShippingAddressDto;

  /** A guest checkout's email (required there, refused for an account): where the order's emails go, and what a lookup names. */
  @IsOptional()
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  /** A shipping method eligible for this cart and address (else 422); absent: the cheapest eligible, or the flat rate when no method is defined. */
  @IsOptional()
  @IsMongoId()
  shippingMethodId?: string;

  /** `stripe` (default); `paypal` only where PayPal is configured (PAYPAL_* settings), else 400. */
  @IsOptional()
  @IsIn(PAYMENT_PROVIDER_NAMES)
  paymentProvider?: string;
}

export class OrderLookupQueryDto {
  /** The order number, e.g. `ORD-000042`. */
  @IsString()
  @Length(1, 40)
  @Matches(/^[A-Za-z0-9-]+$/, { message: 'number must be an order number' })
  number!: string;

  /** The email the order was placed with (compared case-insensitively). */
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class ClaimOrderDto {
  /** The number of a guest order placed with the account's (verified) email. */
  @IsString()
  @Length(1, 40)
  @Matches(/^[A-Za-z0-9-]+$/, { message: 'number must be an order number' })
  number!: string;
}

export class UpdateOrderStatusDto {
  /** The next status; only steps the order lifecycle allows (else 409). */
  @IsIn(VISIBLE_ORDER_STATUSES)
  status!: VisibleOrderStatus;

  /** The carrier's tracking number, usually with `shipped`. */
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  // At least one letter or digit: spaces alone are trimmed to nothing.
  @Matches(/^[\w -]*\w[\w -]*$/, { message: 'trackingNumber may hold letters, digits, spaces, - and _, and not only spaces' })
  trackingNumber?: string;
}

export class AdminOrderListQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(VISIBLE_ORDER_STATUSES)
  status?: VisibleOrderStatus;

  @IsOptional()
  @IsMongoId()
  userId?: string;

  /** Placed at or after this moment (ISO 8601). */
  @IsOptional()
  @IsTimestamp()
  from?: string;

  /** Placed before this moment (ISO 8601). */
  @IsOptional()
  @IsTimestamp()
  to?: string;

  /** Orders that used this promotion code (case-insensitive). */
  @IsOptional()
  @IsString()
  @Length(1, 40)
  promotionCode?: string;
}

export class OrderLineResponseDto {
  productId!: string;
  /** The variant sold (for orders from before variants: the product's default variant). */
  variantId!: string;
  /** The variant's sku at checkout (absent on orders from before variants). */
  sku?: string;
  /** The variant's option values at checkout, e.g. `{"Size": "M"}`; `{}` for a product sold as one thing. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  options!: Record<string, string>;
  title!: string;
  /** Unit price at checkout, minor units. */
  price!: number;
  quantity!: number;
  lineTotal!: number;
  image?: string;
  /** The same as `price`. */
  unitPrice!: number;
  /** The line's share of every promotion. */
  discount!: number;
  /** Basis points. */
  taxRate!: number;
  /** On lineTotal − discount: added on top, or contained when prices include tax. */
  tax!: number;
}

export class OrderPromotionResponseDto {
  id!: string;
  code?: string;
  name!: string;
  /** What it took off goods and shipping. */
  discount!: number;
}

export class ShippingAddressResponseDto extends OmitType(AddressResponseDto, ['id', 'isDefault'] as const) {}

export class OrderPaymentResponseDto {
  /** `stripe` or `paypal` */
  provider!: string;
  /** `requires_payment`, `failed` (the customer may try again), `succeeded`, `refund_pending`, `refunded`. */
  status!: PaymentStatus;
  /** Stripe's PaymentIntent. */
  paymentIntentId?: string;
  /** For Stripe.js in the customer's browser to confirm the payment. */
  clientSecret?: string;
  /** PayPal's order. */
  paypalOrderId?: string;
  /** While `pending_payment` (PayPal): where the buyer approves the payment; then POST /payments/paypal/capture. */
  approvalUrl?: string;
  /** Minor units refunded, once a refund was made. */
  refundedAmount?: number;
}

export class OrderHistoryEntryDto {
  status!: VisibleOrderStatus;
  at!: Date;
  note?: string;
}

export class OrderResponseDto {
  id!: string;
  /** Short human-readable number, e.g. `ORD-000042`. */
  number!: string;
  /** The account's id; absent on a guest's order. */
  userId?: string;
  /** Where the order's emails go: the account's email at checkout, or the guest's. */
  email?: string;
  status!: VisibleOrderStatus;
  items!: OrderLineResponseDto[];
  subtotal!: number;
  /** Σ line discounts (goods only). */
  discountTotal!: number;
  /** What promotions took off shipping. */
  shippingDiscount!: number;
  /** Shipping charged, after its discount. */
  shippingTotal!: number;
  shippingTax!: number;
  /** Σ line tax + shippingTax (contained in the prices when they include tax). */
  taxTotal!: number;
  /** What the payment provider was asked for. */
  total!: number;
  /** True when the prices, and so `total`, contain `taxTotal`. */
  pricesIncludeTax!: boolean;
  currency!: string;
  /** The shipping method charged; absent under the flat rate. */
  shippingMethod?: ShippingMethodChoiceDto;
  promotions!: OrderPromotionResponseDto[];
  shippingAddress!: ShippingAddressResponseDto;
  payment!: OrderPaymentResponseDto;
  trackingNumber?: string;
  history!: OrderHistoryEntryDto[];
  /** While `pending_payment`: the order is cancelled if unpaid by then. */
  paymentDueAt?: Date;
  createdAt!: Date;
  updatedAt!: Date;
}

export class OrderListResponseDto extends PaginatedResponseDto(OrderResponseDto) {}

/** The payment as a lookup shows it: what it is and where it stands, never what completes it. */
export class OrderLookupPaymentDto extends OmitType(OrderPaymentResponseDto, ['clientSecret', 'approvalUrl'] as const) {}

/** An order as GET /orders/lookup shows it to whoever knows its number and email: no account id, no payment secrets. */
export class OrderLookupResponseDto extends OmitType(OrderResponseDto, ['userId', 'payment'] as const) {
  payment!: OrderLookupPaymentDto;
}

export function toOrderLookupResponse(order: Order): OrderLookupResponseDto {
  const { userId: _userId, payment, ...rest } = toOrderResponse(order);
  const { clientSecret: _clientSecret, approvalUrl: _approvalUrl, ...safePayment } = payment;
  return { ...rest, payment: safePayment };
}

export function toOrderResponse(order: Order): OrderResponseDto {
  const { payment } = order;
  return {
    id: order._id.toHexString(),
    number: order.number,
    ...(order.userId && { userId: order.userId.toHexString() }),
    ...(order.email && { email: order.email }),
    status: order.status as VisibleOrderStatus,
    items: order.items.map((line) => ({
      productId: line.productId.toHexString(),
      variantId: (line.variantId ?? line.productId).toHexString(),
      ...(line.sku && { sku: line.sku }),
      options: { ...(line.options ?? {}) },
      title: line.title,
      price: line.price,
      quantity: line.quantity,
      lineTotal: line.lineTotal,
      ...(line.image && { image: line.image }),
      unitPrice: line.price,
      discount: line.discount ?? 0,
      taxRate: line.taxRate ?? 0,
      tax: line.tax ?? 0,
    })),
    subtotal: order.subtotal,
    discountTotal: order.discountTotal ?? 0,
    shippingDiscount: order.shippingDiscount ?? 0,
    shippingTotal: order.shippingTotal,
    shippingTax: order.shippingTax ?? 0,
    taxTotal: order.taxTotal ?? 0,
    total: order.total,
    pricesIncludeTax: order.pricesIncludeTax ?? false,
    currency: order.currency,
    ...(order.shippingMethod && { shippingMethod: { id: order.shippingMethod.id, name: order.shippingMethod.name, price: order.shippingMethod.price } }),
    promotions: (order.promotions ?? []).map((promotion) => ({
      id: promotion.promotionId,
      ...(promotion.code !== undefined && { code: promotion.code }),
      name: promotion.name,
      discount: promotion.discount,
    })),
    shippingAddress: { ...order.shippingAddress },
    payment: {
      provider: payment.provider,
      status: payment.status,
      ...(payment.intentId && (payment.provider === 'paypal' ? { paypalOrderId: payment.intentId } : { paymentIntentId: payment.intentId })),
      ...(payment.clientSecret && order.status === 'pending_payment' && { clientSecret: payment.clientSecret }),
      ...(payment.approvalUrl && order.status === 'pending_payment' && { approvalUrl: payment.approvalUrl }),
      ...(payment.refund?.state === 'succeeded' && { refundedAmount: payment.refund.amount }),
    },
    ...(order.trackingNumber && { trackingNumber: order.trackingNumber }),
    history: order.history
      .filter((entry) => entry.status !== 'placing')
      .map((entry) => ({ status: entry.status as VisibleOrderStatus, at: entry.at, ...(entry.note && { note: entry.note }) })),
    ...(order.status === 'pending_payment' && order.paymentDueAt && { paymentDueAt: order.paymentDueAt }),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
