import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Types } from 'mongoose';
import { StateConflictError, NotFoundError } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { PROCESS_ROLE, type ProcessRole } from '../core/process-role';
import { ProductStore } from './products.store';
import { ProductDocument } from './schemas/product.schema';
import { OutOfStockError, ShortLine, StockBelowAllocatedError } from './stock.errors';

export interface StockLine {
  productId: string;
  quantity: number;
}

/** What cart and checkout need to know about a product right now. */
export interface ProductForSale {
  id: string;
  title: string;
  price: number;
  /** Category slug and tax class: what promotions and tax rates match on. */
  category: string;
  taxClass: string;
  image?: string;
  active: boolean;
  /** On hand minus allocated, never below 0. */
  sellable: number;
  /** The product's own limit of units per order, if it has one. */
  maxPerOrder?: number;
}

const SET_ON_HAND_ATTEMPTS = 5;

/** The stock fields of a new product: `onHand` units on the shelf, none held by orders. */
export function openingStock(onHand: number): { stock: number; stockOnHand: number; stockAllocated: number } {
  return { stock: onHand, stockOnHand: onHand, stockAllocated: 0 };
}

/**
 * Stock on the shelf (`stockOnHand`) and stock held by orders (`stockAllocated`), kept apart in
 * the product document together with the sellable quantity `stock` (= on hand − allocated, kept
 * by every store verb in the same `$inc`): the rules over the ProductStore's stock verbs.
 *
 * Each allocation is also listed on the product as `{orderId, quantity}`. That makes every
 * effect idempotent per order on the product itself: allocating twice for one order takes once
 * (a retried checkout), and releasing or shipping an allocation that is gone does nothing (a
 * cancel racing an expiry, an effect retried after a crash). No transactions needed.
 */
@Injectable()
export class InventoryService implements OnApplicationBootstrap {
  private readonly logger = new Logger(InventoryService.name);

  constructor(
    private readonly store: ProductStore,
    @Inject(PROCESS_ROLE) private readonly role: ProcessRole,
    private readonly audit: AuditLog,
  ) {}

  /** The API migrates products from before on-hand/allocated (see migrateLegacyStock). */
  async onApplicationBootstrap(): Promise<void> {
    if (this.role !== 'api') return;
    const migrated = await this.migrateLegacyStock();
    if (migrated > 0) this.logger.log(`Migrated ${migrated} product(s) to on-hand/allocated stock`);
  }

  /**
   * Products written before stock was split had one `stock` field, meaning on hand (no order
   * could hold any). Each becomes `stockOnHand = stock`, nothing allocated. Operator updates
   * cannot copy one field into another (and pipeline updates are not available everywhere), so
   * products are grouped by their stock value and each group is set in one update; the filter
   * repeats the condition, so running this twice or in two processes at once is harmless.
   */
  async migrateLegacyStock(): Promise<number> {
    let migrated = 0;
    for (const stock of await this.store.legacyStockValues()) migrated += await this.store.splitLegacyStock(stock);
    return migrated;
  }

  async forSale(productIds: string[]): Promise<Map<string, ProductForSale>> {
    const ids = [...new Set(productIds)].map((id) => new Types.ObjectId(id));
    const products = await this.store.findPage({ _id: { $in: ids } }, { _id: 1 }, 0, ids.length);
    return new Map(products.map((product: ProductDocument) => [product._id.toHexString(), forSale(product)]));
  }

  /**
   * Allocates every line for the order or none: one conditional atomic update per line takes the
   * units only while that many are sellable. If a line falls short, the lines already taken are
   * given back and the error names every short line with what is available.
   */
  async allocate(orderId: string, lines: StockLine[]): Promise<void> {
    const order = new Types.ObjectId(orderId);
    const outcomes = await Promise.all(
      lines.map((line) => this.store.allocate(line.productId, order, line.quantity)),
    );
    const short = lines.filter((_, index) => !outcomes[index]);
    if (short.length === 0) return;
    await this.release(orderId, lines.filter((_, index) => outcomes[index]));
    throw new OutOfStockError(await this.shortLines(short));
  }

  /** Gives the order's allocation back to the sellable stock; a second call finds nothing to give. */
  async release(orderId: string, lines: StockLine[]): Promise<void> {
    const order = new Types.ObjectId(orderId);
    await Promise.all(lines.map((line) => this.store.release(line.productId, order, line.quantity)));
  }

  /** Shipping: the units leave the shelf and the allocation; the sellable quantity is unchanged. */
  async ship(orderId: string, lines: StockLine[]): Promise<void> {
    const order = new Types.ObjectId(orderId);
    await Promise.all(lines.map((line) => this.store.ship(line.productId, order, line.quantity)));
  }

  /**
   * Sets the counted on-hand quantity. The write changes on-hand (and sellable) by the difference
   * to what was read, conditioned on on-hand still being that: allocations made meanwhile only
   * touch `stockAllocated` and `stock`, so they survive, and the `stockAllocated` bound keeps the
   * count from going below what orders hold.
   */
  async setOnHand(productId: string, onHand: number, by: string): Promise<ProductDocument> {
    for (let attempt = 0; attempt < SET_ON_HAND_ATTEMPTS; attempt += 1) {
      const current = await this.store.findById(productId);
      if (!current) throw new NotFoundError('Product not found');
      if (onHand < current.stockAllocated) throw new StockBelowAllocatedError(current.stockAllocated);
      if (onHand === current.stockOnHand) return current;
      const updated = await this.store.countOnHand(current._id, current.stockOnHand, onHand, by);
      if (updated) return updated;
    }
    throw new StateConflictError('The stock kept changing while it was counted; try again');
  }

  /**
   * A receipt (+) or write-off (−) of on-hand units, recorded on the product with who and why,
   * and in the audit log: the counts after are the write's, those before follow from its delta.
   */
  async adjust(productId: string, delta: number, reason: string, actor: AuditActor): Promise<ProductDocument> {
    const updated = await this.store.adjust(productId, delta, reason, actor.id);
    if (updated) {
      const after = { stockOnHand: updated.stockOnHand, stockAllocated: updated.stockAllocated, stock: updated.stock };
      const before = { ...after, stockOnHand: after.stockOnHand - delta, stock: after.stock - delta };
      await this.audit.record(actor, { action: 'product.stockAdjusted', entity: 'product', entityId: updated._id, before, after: { ...after, reason } });
      return updated;
    }
    const current = await this.store.findById(productId);
    if (!current) throw new NotFoundError('Product not found');
    throw new StockBelowAllocatedError(current.stockAllocated);
  }

  private async shortLines(lines: StockLine[]): Promise<ShortLine[]> {
    const products = await this.forSale(lines.map((line) => line.productId));
    return lines.map((line) => {
      const product = products.get(line.productId);
      return { productId: line.productId, requested: line.quantity, available: product?.active ? product.sellable : 0 };
    });
  }
}

export function forSale(product: ProductDocument): ProductForSale {
  return {
    id: product._id.toHexString(),
    title: product.title,
    price: product.price,
    category: product.category,
    taxClass: product.taxClass ?? 'standard',
    image: product.images[0]?.url,
    active: product.status === 'active',
    sellable: Math.max(0, product.stock),
    ...(product.maxPerOrder && { maxPerOrder: product.maxPerOrder }),
  };
}
