import { divideRounded, RuleViolationError, splitByWeights } from '@app/common';

/*
 * The one pricing function (API.md, "Money: tax, shipping methods, promotions"): the cart quote
 * and checkout both call `priceCart`, so a quote and the order placed from the same cart and
 * address are equal by construction. Pure: everything it needs is passed in (including `now`),
 * amounts are integers in minor units, rates and percentages integers in basis points, and every
 * fraction of a unit is decided by the money helpers (half away from zero, largest remainder).
 */

export const BASIS_POINTS = 10_000;
export const STANDARD_TAX_CLASS = 'standard';

export interface PricingLine {
  productId: string;
  variantId?: string;
  category: string;
  taxClass: string;
  unitPrice: number;
  quantity: number;
}

export interface Destination {
  /** ISO-2, upper case. */
  country: string;
  /** e.g. a US state, as the address's `state`. */
  region?: string;
}

export interface ShippingMethodRule {
  id: string;
  name: string;
  /** Empty: everywhere. */
  countries: string[];
  price: number;
  freeFrom?: number;
  minSubtotal?: number;
  maxSubtotal?: number;
  active: boolean;
}

export interface TaxRateRule {
  country: string;
  region?: string;
  taxClass: string;
  /** Basis points. */
  rate: number;
}

export const PROMOTION_TYPES = ['percentage', 'fixed', 'free_shipping'] as const;
export type PromotionType = (typeof PROMOTION_TYPES)[number];

export interface PromotionRule {
  id: string;
  name: string;
  /** Absent: applied automatically when eligible. */
  code?: string;
  type: PromotionType;
  /** Basis points for `percentage`, minor units for `fixed`, unused for `free_shipping`. */
  value: number;
  productIds?: string[];
  categorySlugs?: string[];
  minSubtotal?: number;
  startsAt?: Date;
  endsAt?: Date;
  combinable: boolean;
  active: boolean;
  /** The caller knows the counters: no use left for the store or for this customer. */
  usedUp?: boolean;
}

export interface PricingConfig {
  pricesIncludeTax: boolean;
  /** Used only when no shipping method is defined at all (the behaviour before methods). */
  flatShipping: { rate: number; freeFrom: number };
}

export interface PricingInput {
  lines: PricingLine[];
  destination: Destination;
  shippingMethods: ShippingMethodRule[];
  taxRates: TaxRateRule[];
  promotions: PromotionRule[];
  /** Codes the customer entered (any case). */
  codes: string[];
  /** Asked for by the customer; absent: the cheapest eligible. */
  shippingMethodId?: string;
  config: PricingConfig;
  now: Date;
}

export interface QuoteLine {
  productId: string;
  variantId?: string;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
  /** The line's share of every promotion. */
  discount: number;
  taxRate: number;
  tax: number;
}

export interface AppliedPromotion {
  id: string;
  code?: string;
  name: string;
  /** Off the goods and off shipping together. */
  discount: number;
  /** Its share of each line (same order as the lines); they add up to `discount − shippingDiscount`. */
  lineShares: number[];
  shippingDiscount: number;
}

export interface QuotedShippingMethod {
  id: string;
  name: string;
  /** What it costs this cart (0 from `freeFrom` on), before promotions. */
  price: number;
}

export interface Quote {
  lines: QuoteLine[];
  subtotal: number;
  discountTotal: number;
  shippingDiscount: number;
  shippingTotal: number;
  shippingTax: number;
  taxTotal: number;
  total: number;
  /** Whether `total` already contains `taxTotal` (PRICES_INCLUDE_TAX). */
  pricesIncludeTax: boolean;
  promotions: AppliedPromotion[];
  /** Eligible now; empty when none is defined (flat rate) or none fits the destination. */
  shippingMethods: QuotedShippingMethod[];
  /** The method charged; null under the flat rate, or when none is eligible. */
  shippingMethod: QuotedShippingMethod | null;
  /** Methods are defined but none fits this cart and destination: checkout refuses it (422). */
  noEligibleShipping: boolean;
}

/** The customer asked for a method this cart or destination cannot use (422). */
export class IneligibleShippingMethodError extends RuleViolationError {
  constructor(readonly shippingMethodId: string) {
    super(`Shipping method ${shippingMethodId} is not available for this cart and destination`, { shippingMethodId });
  }
}

/** Shipping methods are defined, but none fits this cart and destination (422 at checkout). */
export class NoEligibleShippingError extends RuleViolationError {
  constructor() {
    super('No shipping method is available for this cart and destination');
  }
}

/** Why a promotion does not apply to a cart now; null when it does. */
export type PromotionRefusal = 'inactive' | 'not_started' | 'expired' | 'used_up' | 'min_subtotal' | 'no_eligible_lines';

export function promotionRefusal(promotion: PromotionRule, lines: PricingLine[], now: Date): PromotionRefusal | null {
  if (!promotion.active) return 'inactive';
  if (promotion.startsAt && now < promotion.startsAt) return 'not_started';
  if (promotion.endsAt && now >= promotion.endsAt) return 'expired';
  if (promotion.usedUp) return 'used_up';
  if (promotion.minSubtotal !== undefined && subtotalOf(lines) < promotion.minSubtotal) return 'min_subtotal';
  if (!lines.some((line) => inScope(promotion, line))) return 'no_eligible_lines';
  return null;
}

export function priceCart(input: PricingInput): Quote {
  const codes = new Set(input.codes.map(normalizeCode));
  const candidates = input.promotions
    .filter((promotion) => promotion.code === undefined || codes.has(normalizeCode(promotion.code)))
    .filter((promotion) => promotionRefusal(promotion, input.lines, input.now) === null)
    .sort((a, b) => a.id.localeCompare(b.id));
  const combinable = candidates.filter((promotion) => promotion.combinable);
  const exclusive = candidates.filter((promotion) => !promotion.combinable);

  // Only the non-combinable promotion worth most to the customer applies: price the cart with
  // each (and with none) and keep the lowest total. Pricing the whole cart avoids guessing what
  // free shipping is worth before the method is known. A tie goes to the earlier id, and a
  // promotion over none (a code the customer entered is applied when it costs them nothing).
  let best: Quote | null = null;
  for (const promotion of exclusive) {
    const quote = priceWith(input, [promotion, ...combinable]);
    if (!best || quote.total < best.total) best = quote;
  }
  const without = priceWith(input, combinable);
  return best && best.total <= without.total ? best : without;
}

export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

/** Prices the cart with exactly these promotions, applied in this order. */
function priceWith(input: PricingInput, promotions: PromotionRule[]): Quote {
  const { lines, config } = input;
  const lineTotals = lines.map((line) => line.unitPrice * line.quantity);
  const subtotal = sum(lineTotals);
  const discounts = lines.map(() => 0);

  const applied: AppliedPromotion[] = [];
  const freeShipping: PromotionRule[] = [];
  for (const promotion of promotions) {
    if (promotion.type === 'free_shipping') {
      freeShipping.push(promotion);
      continue;
    }
    const shares = shareOf(promotion, lines, lineTotals.map((total, index) => total - discounts[index]));
    shares.forEach((share, index) => (discounts[index] += share));
    applied.push({ ...describe(promotion), discount: sum(shares), lineShares: shares, shippingDiscount: 0 });
  }

  const discountTotal = sum(discounts);
  const shipping = chooseShipping(input, subtotal - discountTotal);
  let shippingLeft = shipping.price;
  for (const promotion of freeShipping) {
    // Shipping never goes below 0: a second free-shipping promotion finds nothing left to take.
    const taken = shippingLeft;
    shippingLeft = 0;
    applied.push({ ...describe(promotion), discount: taken, lineShares: lines.map(() => 0), shippingDiscount: taken });
  }
  const shippingTotal = shippingLeft;
  const shippingDiscount = shipping.price - shippingTotal;

  const rateOf = taxRateFinder(input.taxRates, input.destination);
  const quoteLines: QuoteLine[] = lines.map((line, index) => {
    const taxRate = rateOf(line.taxClass);
    return {
      productId: line.productId,
      ...(line.variantId !== undefined && { variantId: line.variantId }),
      unitPrice: line.unitPrice,
      quantity: line.quantity,
      lineTotal: lineTotals[index],
      discount: discounts[index],
      taxRate,
      tax: taxOn(lineTotals[index] - discounts[index], taxRate, config.pricesIncludeTax),
    };
  });
  const shippingTax = taxOn(shippingTotal, rateOf(STANDARD_TAX_CLASS), config.pricesIncludeTax);
  const taxTotal = sum(quoteLines.map((line) => line.tax)) + shippingTax;
  const total = subtotal - discountTotal + shippingTotal + (config.pricesIncludeTax ? 0 : taxTotal);

  return {
    lines: quoteLines,
    subtotal,
    discountTotal,
    shippingDiscount,
    shippingTotal,
    shippingTax,
    taxTotal,
    total,
    pricesIncludeTax: config.pricesIncludeTax,
    // A promotion that took nothing (free shipping on an order that ships free) is not used.
    promotions: applied.filter((promotion) => promotion.discount > 0),
    shippingMethods: shipping.eligible,
    shippingMethod: shipping.chosen,
    noEligibleShipping: shipping.noneEligible,
  };
}

/**
 * The promotion's share of each line, taken from what is left of the lines in its scope: one
 * amount for the whole scope (a percentage rounded once, a fixed amount capped at what is left),
 * split in proportion to the lines by largest remainder, so the shares add up exactly and none
 * exceeds what is left of its line.
 */
function shareOf(promotion: PromotionRule, lines: PricingLine[], remaining: number[]): number[] {
  const weights = lines.map((line, index) => (inScope(promotion, line) ? remaining[index] : 0));
  const base = sum(weights);
  if (base === 0) return lines.map(() => 0);
  const amount = promotion.type === 'percentage' ? divideRounded(base * Math.min(promotion.value, BASIS_POINTS), BASIS_POINTS) : Math.min(promotion.value, base);
  return splitByWeights(amount, weights);
}

function inScope(promotion: PromotionRule, line: PricingLine): boolean {
  if (promotion.productIds?.length && !promotion.productIds.includes(line.productId)) return false;
  if (promotion.categorySlugs?.length && !promotion.categorySlugs.includes(line.category)) return false;
  return true;
}

interface ShippingChoice {
  price: number;
  eligible: QuotedShippingMethod[];
  chosen: QuotedShippingMethod | null;
  noneEligible: boolean;
}

/** `net` is the subtotal after discounts, before tax: what freeFrom, minSubtotal and maxSubtotal compare. */
function chooseShipping(input: PricingInput, net: number): ShippingChoice {
  const defined = input.shippingMethods.filter((method) => method.active);
  if (defined.length === 0) {
    const { rate, freeFrom } = input.config.flatShipping;
    const price = freeFrom > 0 && net >= freeFrom ? 0 : rate;
    if (input.shippingMethodId !== undefined) throw new IneligibleShippingMethodError(input.shippingMethodId);
    return { price, eligible: [], chosen: null, noneEligible: false };
  }
  const eligible = defined
    .filter((method) => method.countries.length === 0 || method.countries.includes(input.destination.country))
    .filter((method) => (method.minSubtotal === undefined || net >= method.minSubtotal) && (method.maxSubtotal === undefined || net <= method.maxSubtotal))
    .map((method) => ({ id: method.id, name: method.name, price: method.freeFrom !== undefined && net >= method.freeFrom ? 0 : method.price }))
    .sort((a, b) => a.price - b.price || a.id.localeCompare(b.id));
  let chosen: QuotedShippingMethod | null = eligible[0] ?? null;
  if (input.shippingMethodId !== undefined) {
    chosen = eligible.find((method) => method.id === input.shippingMethodId) ?? null;
    if (!chosen) throw new IneligibleShippingMethodError(input.shippingMethodId);
  }
  return { price: chosen?.price ?? 0, eligible, chosen, noneEligible: chosen === null };
}

/**
 * The rate for a tax class at the destination, most specific first: country + region, then
 * country; a class without a rate there falls back to the destination's standard rate; none → 0.
 */
function taxRateFinder(rates: TaxRateRule[], destination: Destination): (taxClass: string) => number {
  const region = destination.region?.trim().toUpperCase();
  const find = (taxClass: string): number | undefined =>
    (region ? rates.find((rate) => rate.country === destination.country && rate.region?.toUpperCase() === region && rate.taxClass === taxClass) : undefined)?.rate ??
    rates.find((rate) => rate.country === destination.country && !rate.region && rate.taxClass === taxClass)?.rate;
  return (taxClass) => find(taxClass) ?? find(STANDARD_TAX_CLASS) ?? 0;
}

/** Exclusive: the tax added to `net`; inclusive: the tax contained in it. */
export function taxOn(net: number, rate: number, pricesIncludeTax: boolean): number {
  if (rate === 0 || net === 0) return 0;
  if (!pricesIncludeTax) return divideRounded(net * rate, BASIS_POINTS);
  return net - divideRounded(net * BASIS_POINTS, BASIS_POINTS + rate);
}

function describe(promotion: PromotionRule): Pick<AppliedPromotion, 'id' | 'code' | 'name'> {
  return { id: promotion.id, ...(promotion.code !== undefined && { code: promotion.code }), name: promotion.name };
}

function subtotalOf(lines: PricingLine[]): number {
  return sum(lines.map((line) => line.unitPrice * line.quantity));
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
