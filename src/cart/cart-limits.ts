import { StateConflictError } from '@app/common';
import type { VariantForSale } from '../products/inventory.service';

/**
 * The limits that keep one account from hoarding stock through its cart (issue 27): lines per
 * cart and units of one product per line and order. The unpaid-orders cap is checkout's
 * (UnpaidOrderSlots).
 */

/** A line asking for more units of a product than one order may hold. */
export interface OverLimitLine {
  productId: string;
  variantId: string;
  requested: number;
  maxPerOrder: number;
}

/** The variant's own `maxPerOrder`, else the product's, else the store-wide MAX_UNITS_PER_LINE. */
export function unitLimitOf(variant: Pick<VariantForSale, 'maxPerOrder'>, storeLimit: number): number {
  return variant.maxPerOrder ?? storeLimit;
}

/** More units of a product than one order may hold (409 naming the limit of each line). */
export class PerOrderLimitError extends StateConflictError {
  constructor(readonly lines: OverLimitLine[]) {
    super(
      lines.length === 1
        ? `At most ${lines[0].maxPerOrder} units of this product per order`
        : `${lines.length} lines ask for more units than one order may hold (${lines.map((line) => line.maxPerOrder).join(', ')})`,
      { lines },
    );
  }
}

/** The cart already holds MAX_CART_LINES lines: no new one (409). */
export class CartFullError extends StateConflictError {
  constructor(maxCartLines: number) {
    super(`A cart holds at most ${maxCartLines} lines`, { maxCartLines });
  }
}
