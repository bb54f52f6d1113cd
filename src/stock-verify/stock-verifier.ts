import { Injectable } from '@nestjs/common';
import { OrderStore } from '../orders/order.store';
import { numberedMovementsOf, ProductStore } from '../products/products.store';
import type { Product, ProductVariant, StockMovement } from '../products/schemas/product.schema';
import { StockMovementStore } from '../products/stock-movements/stock-movement.store';

/** One number that is not what the rest of the data says it must be. */
export interface StockDrift {
  productId: string;
  variantId?: string;
  what: string;
  stored: number;
  expected: number;
}

export interface StockReport {
  checked: number;
  drifts: StockDrift[];
}

/** Movements that change on hand (all of them on the shelf); allocations and releases only move sellable units. */
const ON_HAND_KINDS: StockMovement['kind'][] = ['opening', 'adjustment', 'count', 'shipment'];

/** A product is read again this often when stock writes keep landing while its movements are summed. */
const SETTLE_ATTEMPTS = 5;

/** What a variant's movements add up to: its on-hand and its allocated units. */
interface MovementTotals {
  onHand: number;
  allocated: number;
}

/**
 * `npm run stock:verify`: checks every variant's counters against each other, against its stock
 * movements (those still buffered in the product and those relayed to `stock_movements`,
 * streamed per product) and against the open orders, and every product's sums against its variants. Reads
 * only; a drift is printed for a human (every stock write is one conditional update, so a drift
 * means a write from outside the store or a bug, not a race).
 */
@Injectable()
export class StockVerifier {
  constructor(
    private readonly products: ProductStore,
    private readonly orders: OrderStore,
    private readonly movements: StockMovementStore,
  ) {}

  async verify(): Promise<StockReport> {
    // variantId:orderId → quantity, for every line of an order that holds stock.
    const held = new Map<string, number>();
    const heldOrderIds = new Set<string>();
    for await (const order of this.orders.holdingStock()) {
      heldOrderIds.add(order._id.toHexString());
      for (const line of order.items) held.set(`${(line.variantId ?? line.productId).toHexString()}:${order._id.toHexString()}`, line.quantity);
    }
    const drifts: StockDrift[] = [];
    const allocated = new Set<string>();
    let checked = 0;
    for await (const listed of this.products.withStockMovements()) {
      checked += 1;
      const { product, totals } = await this.settled(listed);
      drifts.push(...this.productDrifts(product));
      for (const variant of product.variants ?? []) {
        drifts.push(...variantDrifts(product, variant, totals.get(variant._id.toHexString()) ?? { onHand: 0, allocated: 0 }));
        for (const allocation of variant.allocations ?? []) {
          const key = `${variant._id.toHexString()}:${allocation.orderId.toHexString()}`;
          allocated.add(key);
          const expected = held.get(key) ?? (await this.heldElsewhere(allocation.orderId.toHexString(), heldOrderIds, allocation.quantity));
          if (expected !== allocation.quantity) {
            drifts.push(drift(product, variant, `allocation of order ${allocation.orderId.toHexString()}`, allocation.quantity, expected));
          }
        }
      }
    }
    for (const [key, quantity] of held) {
      if (allocated.has(key)) continue;
      const [variantId, orderId] = key.split(':');
      drifts.push({ productId: '-', variantId, what: `allocation of open order ${orderId}`, stored: 0, expected: quantity });
    }
    return { checked, drifts };
  }

  /**
   * The product with the totals of its movements by variant, both of one moment: its buffer and,
   * streamed, its relayed movements (one per `_id`: between a relay's copy and its pull a
   * movement is in both). A stock write landing while they are summed (its movement may already
   * be relayed, its counters are not in the product read) moves the product's movement count:
   * then the product is read and summed again.
   */
  private async settled(first: Product): Promise<{ product: Product; totals: Map<string, MovementTotals> }> {
    let product = first;
    for (let attempt = 1; ; attempt += 1) {
      const totals = new Map<string, MovementTotals>();
      const add = (movement: StockMovement) => {
        const key = movement.variantId.toHexString();
        const sums = totals.get(key) ?? { onHand: 0, allocated: 0 };
        if (ON_HAND_KINDS.includes(movement.kind)) sums.onHand += movement.delta;
        // Allocations take (−) and releases give back (+) sellable units; a shipment takes from on hand (−) what its allocation held.
        if (movement.kind === 'allocation' || movement.kind === 'release') sums.allocated -= movement.delta;
        if (movement.kind === 'shipment') sums.allocated += movement.delta;
        totals.set(key, sums);
      };
      const buffered = numberedMovementsOf(product);
      buffered.forEach(add);
      const inBuffer = new Set(buffered.flatMap((movement) => (movement._id ? [movement._id.toHexString()] : [])));
      // Movements from before ids, read without one: their copy, if numbered and relayed since, has the same sequence.
      const unnumbered = new Set(buffered.flatMap((movement) => (movement._id ? [] : [movement.sequence])));
      for await (const movement of this.movements.streamOf(product._id)) {
        if (!inBuffer.has(movement._id!.toHexString()) && !unnumbered.has(movement.sequence)) add(movement);
      }
      if (attempt === SETTLE_ATTEMPTS || (await this.products.stockMovementSequenceOf(product._id)) === product.stockMovementSequence) return { product, totals };
      product = (await this.products.withStockMovementsOf(product._id)) ?? product;
    }
  }

  private productDrifts(product: Product): StockDrift[] {
    const variants = product.variants ?? [];
    const sums = {
      stock: variants.filter((variant) => variant.status === 'active').reduce((sum, variant) => sum + variant.stock, 0),
      stockOnHand: variants.reduce((sum, variant) => sum + variant.stockOnHand, 0),
      stockAllocated: variants.reduce((sum, variant) => sum + variant.stockAllocated, 0),
    };
    return (['stock', 'stockOnHand', 'stockAllocated'] as const)
      .filter((field) => product[field] !== sums[field])
      .map((field) => ({ productId: product._id.toHexString(), what: `product ${field}`, stored: product[field], expected: sums[field] }));
  }

  /**
   * What an allocation whose order is not an open one holding this variant should be: an order
   * still placing, or cancelled or expired with its release not run yet, holds it for now; any
   * other (gone, released, shipped, or open without such a line) holds nothing.
   */
  private async heldElsewhere(orderId: string, open: Set<string>, quantity: number): Promise<number> {
    if (open.has(orderId)) return 0;
    const order = await this.orders.findById(orderId);
    return order?.inventory === 'held' ? quantity : 0;
  }
}

function variantDrifts(product: Product, variant: ProductVariant, byMovements: MovementTotals): StockDrift[] {
  const checks: [string, number, number][] = [
    ['sellable (on hand − allocated)', variant.stock, variant.stockOnHand - variant.stockAllocated],
    ['allocated (sum of allocations)', variant.stockAllocated, (variant.allocations ?? []).reduce((sum, allocation) => sum + allocation.quantity, 0)],
    ['on hand (by movements)', variant.stockOnHand, byMovements.onHand],
    ['allocated (by movements)', variant.stockAllocated, byMovements.allocated],
  ];
  return checks.filter(([, stored, expected]) => stored !== expected).map(([what, stored, expected]) => drift(product, variant, what, stored, expected));
}

function drift(product: Product, variant: ProductVariant, what: string, stored: number, expected: number): StockDrift {
  return { productId: product._id.toHexString(), variantId: variant._id.toHexString(), what, stored, expected };
}
