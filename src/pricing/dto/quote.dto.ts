import { IsISO31661Alpha2, IsMongoId, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Trim } from '@app/common';
import type { Quote } from '../quote';
import { UpperCase } from './pricing-fields';

export class QuoteQueryDto {
  /** Destination country, ISO 3166-1 alpha-2. */
  @UpperCase()
  @IsISO31661Alpha2()
  country!: string;

  /** Destination region as addresses name it in `state` (e.g. `CA`). */
  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'region must not be blank' })
  region?: string;

  /** The method to price; absent: the cheapest eligible. Not eligible → 422. */
  @IsOptional()
  @IsMongoId()
  shippingMethodId?: string;
}

export class QuoteLineResponseDto {
  productId!: string;
  title!: string;
  /** Unit price, minor units (the cart's `price`). */
  unitPrice!: number;
  quantity!: number;
  /** unitPrice × quantity. */
  lineTotal!: number;
  /** The line's share of every promotion. */
  discount!: number;
  /** Basis points (2000 = 20 %). */
  taxRate!: number;
  /** On lineTotal − discount: added on top, or contained when PRICES_INCLUDE_TAX. */
  tax!: number;
}

export class AppliedPromotionResponseDto {
  id!: string;
  code?: string;
  name!: string;
  /** What it took off goods and shipping, minor units. */
  discount!: number;
}

export class ShippingMethodChoiceDto {
  id!: string;
  name!: string;
  /** What it costs this cart before promotions (0 from its `freeFrom` on). */
  price!: number;
}

/** Every amount in minor units; see API.md "Money" for the identities between them. */
export class QuoteResponseDto {
  items!: QuoteLineResponseDto[];
  subtotal!: number;
  discountTotal!: number;
  shippingDiscount!: number;
  shippingTotal!: number;
  shippingTax!: number;
  taxTotal!: number;
  total!: number;
  currency!: string;
  /** True when prices (and so `total`) already contain `taxTotal`. */
  pricesIncludeTax!: boolean;
  promotions!: AppliedPromotionResponseDto[];
  /** Shipping methods eligible now for this cart and destination, cheapest first. */
  shippingMethods!: ShippingMethodChoiceDto[];
  /** The method priced; absent under the flat rate (no method defined) or when none is eligible. */
  shippingMethod?: ShippingMethodChoiceDto;
}

/** The quote's totals as orders and quotes show them. */
export function quoteTotals(quote: Quote) {
  return {
    subtotal: quote.subtotal,
    discountTotal: quote.discountTotal,
    shippingDiscount: quote.shippingDiscount,
    shippingTotal: quote.shippingTotal,
    shippingTax: quote.shippingTax,
    taxTotal: quote.taxTotal,
    total: quote.total,
    pricesIncludeTax: quote.pricesIncludeTax,
  };
}

export function appliedPromotionsOf(quote: Quote): AppliedPromotionResponseDto[] {
  return quote.promotions.map(({ id, code, name, discount }) => ({ id, ...(code !== undefined && { code }), name, discount }));
}

export function toQuoteResponse(quote: Quote, titles: Map<string, string>, currency: string): QuoteResponseDto {
  return {
    items: quote.lines.map((line) => ({
      productId: line.productId,
      title: titles.get(line.productId) ?? '',
      unitPrice: line.unitPrice,
      quantity: line.quantity,
      lineTotal: line.lineTotal,
      discount: line.discount,
      taxRate: line.taxRate,
      tax: line.tax,
    })),
    ...quoteTotals(quote),
    currency,
    promotions: appliedPromotionsOf(quote),
    shippingMethods: quote.shippingMethods,
    ...(quote.shippingMethod && { shippingMethod: quote.shippingMethod }),
  };
}
