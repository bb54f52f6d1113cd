import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Types } from 'mongoose';
import { NotFoundError } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { PROCESS_ROLE, type ProcessRole } from '../core/process-role';
import { ForSaleFields, ProductStore } from './products.store';
import { ProductDocument, ProductVariant } from './schemas/product.schema';
import { SeveralVariantsError } from './variants';
import { OutOfStockError, ShortLine, StockBelowAllocatedError } from './stock.errors';

/** Units of one variant of one product (legacy order and cart lines name the default variant by the product's id). */
export interface StockLine {
  productId: string;
  variantId: string;
  quantity: number;
}

/** What cart and checkout need to know about one variant right now. */
export interface VariantForSale {
  id: string;
  sku: string;
  options: Record<string, string>;
  price: number;
  /** The product is active and so is the variant. */
  active: boolean;
  /** On hand minus allocated, never below 0. */
  sellable: number;
  /** The variant's own limit of units per order, else the product's, if either has one. */
  maxPerOrder?: number;
  image?: string;
}

/** What cart and checkout need to know about a product right now. */
export interface ProductForSale {
  id: string;
  title: string;
  /** Category slug and tax class: what promotions and tax rates match on. */
  category: string;
  taxClass: string;
  image?: string;
  active: boolean;
  variants: VariantForSale[];
}

/** How often the migration to variants tries one product whose stock keeps moving before leaving it for the next start. */
const MIGRATION_ATTEMPTS = 5;

/** Products read per batch by the migration to variants. */
const MIGRATION_BATCH = 200;

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

  /** The API gives products from before variants their default variant, then makes sure skus are unique. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.role !== 'api') return;
    const migrated = await this.migrateToVariants();
    if (migrated > 0) this.logger.log(`Gave ${migrated} product(s) their default variant`);
    await this.store.ensureSkuIndex();
  }

  /**
   * Every product from before variants becomes a product with one default variant (no options)
   * with the product's own id, price, stock and open orders' allocations, so carts and orders that
   * name only the product keep naming it. Products from before on hand/allocated were split
   * (their `stock` meant on hand) are migrated by the same write. Each write is conditioned on
   * the product still being as read and having no variants: running this twice, or in two
   * processes at once, migrates each product once. The default sku is the product's slug (or,
   * when some variant already uses it, the slug and the id), the same in every process.
   */
  async migrateToVariants(): Promise<number> {
    let migrated = 0;
    const misses = new Map<string, number>();
    const givenUp = (id: string) => (misses.get(id) ?? 0) >= MIGRATION_ATTEMPTS;
    for (;;) {
      const batch = (await this.store.legacyProducts(MIGRATION_BATCH + misses.size)).filter((product) => !givenUp(product._id.toHexString()));
      if (batch.length === 0) return migrated;
      for (const legacy of batch) {
        const id = legacy._id.toHexString();
        const sku = (await this.store.skuTaken(legacy.slug)) ? `${legacy.slug}-${id}` : legacy.slug;
        // A miss: another process migrated it (it leaves the next batch), or its stock moved
        // meanwhile (read again); one that keeps moving is left for the next start.
        if (await this.store.giveDefaultVariant(legacy, sku)) migrated += 1;
        else misses.set(id, (misses.get(id) ?? 0) + 1);
      }
    }
  }

  async forSale(productIds: string[]): Promise<Map<string, ProductForSale>> {
    const ids = [...new Set(productIds)].map((id) => new Types.ObjectId(id));
    const products = await this.store.forSaleFields(ids);
    return new Map(products.map((product) => [product._id.toHexString(), forSale(product)]));
  }

  /**
   * Allocates every line for the order or none: one conditional atomic update per line takes the
   * variant's units only while that many are sellable. If a line falls short, the lines already
   * taken are given back and the error names every short line with what is available.
   *
   * Several lines go in one round trip when none of them comes near a threshold whose crossing
   * must be seen exactly (sold out, `stock.low`; ProductStore.allocateClearOfThresholds). When
   * any did not take that way, every line goes through the exact per-line update: a line the
   * bulk write took counts as already held by the order there, so nothing is taken twice.
   */
  async allocate(orderId: string, lines: StockLine[]): Promise<void> {
    const order = new Types.ObjectId(orderId);
    if (lines.length > 1 && (await this.store.allocateClearOfThresholds(lines, order))) return;
    const outcomes = await Promise.all(lines.map((line) => this.store.allocate(line, order, line.quantity)));
    const short = lines.filter((_, index) => !outcomes[index]);
    if (short.length === 0) return;
    await this.release(orderId, lines.filter((_, index) => outcomes[index]));
    throw new OutOfStockError(await this.shortLines(short));
  }

  /** Gives the order's allocation back to the sellable stock; a second call finds nothing to give. */
  async release(orderId: string, lines: StockLine[]): Promise<void> {
    const order = new Types.ObjectId(orderId);
    await Promise.all(lines.map((line) => this.store.release(line, order, line.quantity)));
  }

  /** Shipping: the units leave the shelf and the allocation; the sellable quantity is unchanged. */
  async ship(orderId: string, lines: StockLine[]): Promise<void> {
    const order = new Types.ObjectId(orderId);
    await Promise.all(lines.map((line) => this.store.ship(line, order, line.quantity)));
  }

  /**
   * A receipt (+) or write-off (−) of a variant's on-hand units (`variantId` null: the
   * product's only one), recorded on the product with who and why, and in the audit log with the
   * product's counts just before and just after the write (ProductStore.adjust).
   */
  async adjust(productId: string, variantId: string | null, delta: number, reason: string, actor: AuditActor): Promise<ProductDocument> {
    const product = await this.store.findById(productId);
    if (!product) throw new NotFoundError('Product not found');
    const variant = variantOf(product, variantId, 'the stock');
    const written = await this.store.adjust({ productId, variantId: variant._id.toHexString() }, delta, reason, actor.id);
    if (written) {
      const counts = ({ stockOnHand, stockAllocated, stock }: ProductDocument) => ({ stockOnHand, stockAllocated, stock });
      await this.audit.record(actor, {
        action: 'product.stockAdjusted',
        entity: 'product',
        entityId: written.after._id,
        before: counts(written.before),
        after: { ...counts(written.after), reason, variantId: variant._id.toHexString() },
      });
      return written.after;
    }
    const current = await this.store.findById(productId);
    if (!current) throw new NotFoundError('Product not found');
    throw new StockBelowAllocatedError(variantOf(current, variant._id.toHexString(), 'the stock').stockAllocated);
  }

  private async shortLines(lines: StockLine[]): Promise<ShortLine[]> {
    const products = await this.forSale(lines.map((line) => line.productId));
    return lines.map((line) => shortLineOf(line, products.get(line.productId)));
  }
}

/** A line that cannot be had, with what is sellable of its variant now (0 when it is not for sale). */
export function shortLineOf(line: StockLine, product: ProductForSale | undefined): ShortLine {
  const variant = product?.variants.find((candidate) => candidate.id === line.variantId);
  return { productId: line.productId, variantId: line.variantId, requested: line.quantity, available: variant?.active ? variant.sellable : 0 };
}

/**
 * The variant an id names, or with `variantId` null the product's only variant (product-level
 * writes of price and stock keep working on products sold as one thing; with several → 409).
 */
export function variantOf(product: ProductDocument, variantId: string | null, what: string): ProductVariant {
  if (variantId === null) {
    if (product.variants.length !== 1) throw new SeveralVariantsError(product._id.toHexString(), what);
    return product.variants[0];
  }
  const variant = product.variants.find((candidate) => candidate._id.equals(variantId));
  if (!variant) throw new NotFoundError('Variant not found');
  return variant;
}

export function forSale(product: ForSaleFields): ProductForSale {
  const active = product.status === 'active';
  // Plain objects as stored: lists a product was written without are absent, not empty.
  const images = product.images ?? [];
  const imageUrl = (id: Types.ObjectId | undefined) => (id && images.find((image) => image._id.equals(id))?.url) || images[0]?.url;
  return {
    id: product._id.toHexString(),
    title: product.title,
    category: product.category,
    taxClass: product.taxClass ?? 'standard',
    ...(images[0] && { image: images[0].url }),
    active,
    variants: (product.variants ?? []).map((variant) => {
      const maxPerOrder = variant.maxPerOrder ?? product.maxPerOrder;
      const image = imageUrl(variant.imageIds?.[0]);
      return {
        id: variant._id.toHexString(),
        sku: variant.sku,
        options: variant.options ?? {},
        price: variant.price,
        active: active && variant.status === 'active',
        sellable: Math.max(0, variant.stock),
        ...(maxPerOrder && { maxPerOrder }),
        ...(image && { image }),
      };
    }),
  };
}
