/*
 * What a cart or an order costs. The cart (its preview) and checkout (the order it places) both
 * price lines here, so the two cannot disagree; amounts are integers in minor units.
 */
/** Shipping rule from config: a flat fee, free from a subtotal on (0 = never free). */
export interface ShippingRule {
  flatRate: number;
  freeFrom: number;
}

export interface PricedLine {
  price: number;
  quantity: number;
}

export interface OrderTotals {
  subtotal: number;
  shippingTotal: number;
  total: number;
}

/** Totals in minor units: integers throughout, so there is no rounding to get wrong. */
export function orderTotals(lines: PricedLine[], shipping: ShippingRule): OrderTotals {
  const subtotal = lines.reduce((sum, line) => sum + lineTotal(line), 0);
  const free = shipping.freeFrom > 0 && subtotal >= shipping.freeFrom;
  const shippingTotal = free ? 0 : shipping.flatRate;
  return { subtotal, shippingTotal, total: subtotal + shippingTotal };
}

export function lineTotal(line: PricedLine): number {
  return line.price * line.quantity;
}
