import { StateConflictError } from '@app/common';

/** A line that cannot be had in the quantity asked for. */
export interface ShortLine {
  productId: string;
  variantId: string;
  requested: number;
  /** Sellable units right now (0 for a product that is archived or gone). */
  available: number;
}

/** Not every line could be allocated; nothing was kept (409, `lines` names the short ones). */
export class OutOfStockError extends StateConflictError {
  constructor(readonly lines: ShortLine[]) {
    super(`Not enough stock for ${lines.length} line${lines.length === 1 ? '' : 's'}`, { lines });
  }
}

/** A cart change asks for more than is sellable (409 with the available quantity). */
export class InsufficientStockError extends StateConflictError {
  constructor(
    readonly productId: string,
    readonly variantId: string,
    readonly available: number,
  ) {
    super(`Only ${available} left in stock`, { productId, variantId, available });
  }
}

/** A stock write-off or count below what orders hold: those units are promised (409). */
export class StockBelowAllocatedError extends StateConflictError {
  constructor(allocated: number) {
    super(`Orders hold ${allocated} units of this item; on-hand stock cannot go below that`, { stockAllocated: allocated });
  }
}
