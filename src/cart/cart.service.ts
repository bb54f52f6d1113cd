import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { InvalidInputError, StateConflictError, isDuplicateKeyError, NotFoundError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { InventoryService, ProductForSale, StockLine, VariantForSale } from '../products/inventory.service';
import { InsufficientStockError } from '../products/stock.errors';
import { lineTotal } from '../pricing/order-totals';
import { CartFullError, PerOrderLimitError, unitLimitOf } from './cart-limits';
import { CartItemResponseDto, CartLineIssue, CartResponseDto, MAX_LINE_QUANTITY } from './dto/cart.dto';
import { Cart, CartLine } from './schemas/cart.schema';

/** Re-reads after a concurrent change of the same cart before giving up with 409. */
const WRITE_ATTEMPTS = 5;

/** A cart's lines and the version they were read at. */
export interface CartSnapshot {
  lines: StockLine[];
  version: number;
}

/**
 * One cart per user. Every change reads the cart, applies the rule (product sellable, quantity
 * within stock) and writes conditioned on the version it read, so concurrent changes from two
 * tabs are applied one after the other, never lost.
 */
@Injectable()
export class CartService {
  constructor(
    @InjectModel(Cart.name) private readonly carts: Model<Cart>,
    private readonly inventory: InventoryService,
    private readonly config: AppConfig,
  ) {}

  async view(userId: string): Promise<CartResponseDto> {
    return this.render((await this.read(userId)).items);
  }

  /**
   * Adds to the variant's line (creating it); the line's new quantity must be sellable and within
   * the variant's units per order, and a new line must fit in MAX_CART_LINES. `variantId` may be
   * left out for a product with one variant. The write is conditioned on the cart's version, so
   * two simultaneous adds cannot both take the last line.
   */
  async addItem(userId: string, productId: string, variantId: string | undefined, quantity: number): Promise<CartResponseDto> {
    return this.change(userId, async (items) => {
      const product = await this.productForSale(productId);
      const variant = chosenVariant(product, variantId);
      const existing = items.find((line) => line.productId.equals(productId) && variantIdOf(line) === variant.id);
      const maxLines = this.config.get('MAX_CART_LINES');
      if (!existing && items.length >= maxLines) throw new CartFullError(maxLines);
      const wanted = (existing?.quantity ?? 0) + quantity;
      if (wanted > MAX_LINE_QUANTITY) throw new InvalidInputError(`A cart holds at most ${MAX_LINE_QUANTITY} units of one product`);
      this.assertSellable(product, variant, wanted);
      const line = { productId: new Types.ObjectId(productId), variantId: new Types.ObjectId(variant.id), quantity: wanted };
      if (existing) return items.map((candidate) => (candidate === existing ? line : candidate));
      return [...items, line];
    });
  }

  /** Sets the quantity of the line `id` names (its variantId, or the productId of a product with one variant); 0 removes it. */
  async setQuantity(userId: string, id: string, quantity: number): Promise<CartResponseDto> {
    if (quantity === 0) return this.removeItem(userId, id);
    return this.change(userId, async (items) => {
      const existing = await this.lineNamed(items, id);
      if (quantity > existing.quantity) {
        const product = await this.productForSale(existing.productId.toHexString());
        this.assertSellable(product, chosenVariant(product, variantIdOf(existing)), quantity);
      }
      return items.map((line) => (line === existing ? { ...line, quantity } : line));
    });
  }

  async removeItem(userId: string, id: string): Promise<CartResponseDto> {
    return this.change(userId, async (items) => {
      const existing = await this.lineNamed(items, id);
      return items.filter((line) => line !== existing);
    });
  }

  async clear(userId: string): Promise<void> {
    await this.carts.updateOne({ userId }, { $set: { items: [] }, $inc: { version: 1 } });
  }

  /** What checkout orders: the lines, and the version to empty the cart at afterwards. */
  async snapshot(userId: string): Promise<CartSnapshot> {
    const cart = await this.read(userId);
    return {
      lines: cart.items.map((line) => ({ productId: line.productId.toHexString(), variantId: variantIdOf(line), quantity: line.quantity })),
      version: cart.version,
    };
  }

  /** Empties the cart after a checkout, unless it changed while the checkout ran (those lines stay). */
  async clearIfUnchanged(userId: string, version: number): Promise<void> {
    await this.carts.updateOne({ userId, version }, { $set: { items: [] }, $inc: { version: 1 } });
  }

  private async read(userId: string): Promise<{ items: CartLine[]; version: number; exists: boolean }> {
    const cart = await this.carts.findOne({ userId }).lean();
    return cart ? { items: cart.items, version: cart.version, exists: true } : { items: [], version: 0, exists: false };
  }

  private async change(userId: string, edit: (items: CartLine[]) => Promise<CartLine[]>): Promise<CartResponseDto> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const cart = await this.read(userId);
      const items = await edit(cart.items);
      if (await this.write(userId, cart, items)) return this.render(items);
    }
    throw new StateConflictError('The cart kept changing; try again');
  }

  private async write(userId: string, read: { version: number; exists: boolean }, items: CartLine[]): Promise<boolean> {
    if (read.exists) {
      const result = await this.carts.updateOne({ userId, version: read.version }, { $set: { items }, $inc: { version: 1 } });
      return result.modifiedCount === 1;
    }
    try {
      await this.carts.create({ userId, items, version: 1 });
      return true;
    } catch (error) {
      // Another request created the cart first: read it and apply the change on top.
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  private async productForSale(productId: string): Promise<ProductForSale> {
    const product = (await this.inventory.forSale([productId])).get(productId);
    if (!product || !product.active) throw new NotFoundError('Product not found');
    return product;
  }

  private assertSellable(product: ProductForSale, variant: VariantForSale, quantity: number): void {
    if (!variant.active) throw new NotFoundError('This variant is no longer sold');
    const maxPerOrder = unitLimitOf(variant, this.config.get('MAX_UNITS_PER_LINE'));
    if (quantity > maxPerOrder) throw new PerOrderLimitError([{ productId: product.id, variantId: variant.id, requested: quantity, maxPerOrder }]);
    if (quantity > variant.sellable) throw new InsufficientStockError(product.id, variant.id, variant.sellable);
  }

  /**
   * The line `id` names: by its variant, or by its product when that product is sold as one
   * thing (one variant). A product with several variants in the cart must be named by variant.
   */
  private async lineNamed(items: CartLine[], id: string): Promise<CartLine> {
    const byVariant = items.find((line) => variantIdOf(line) === id);
    if (byVariant) return byVariant;
    const byProduct = items.filter((line) => line.productId.equals(id));
    if (byProduct.length === 0) throw new NotFoundError('This product is not in the cart');
    const product = (await this.inventory.forSale([id])).get(id);
    if (byProduct.length > 1 || (product && product.variants.length > 1)) {
      throw new InvalidInputError('This product has several variants: name the cart line by its variantId');
    }
    return byProduct[0];
  }

  /** Current titles, prices and stock; lines that would block checkout say why. */
  private async render(items: CartLine[]): Promise<CartResponseDto> {
    const products = await this.inventory.forSale(items.map((line) => line.productId.toHexString()));
    const lines = items.map((line) => {
      const product = products.get(line.productId.toHexString());
      return renderLine(line, product, product?.variants.find((variant) => variant.id === variantIdOf(line)));
    });
    return {
      items: lines,
      subtotal: lines.reduce((sum, line) => sum + line.lineTotal, 0),
      currency: this.config.get('STORE_CURRENCY'),
      checkoutReady: lines.every((line) => line.issue === undefined),
    };
  }
}

/** The variant a line holds: lines from before variants hold the default one, whose id is the product's. */
export function variantIdOf(line: CartLine): string {
  return (line.variantId ?? line.productId).toHexString();
}

/** The variant asked for, or the product's only one; with several and none named → 400. */
function chosenVariant(product: ProductForSale, variantId: string | undefined): VariantForSale {
  if (variantId === undefined) {
    if (product.variants.length !== 1) throw new InvalidInputError('This product has several variants: give variantId');
    return product.variants[0];
  }
  const variant = product.variants.find((candidate) => candidate.id === variantId);
  if (!variant) throw new NotFoundError('Variant not found');
  return variant;
}

function renderLine(line: CartLine, product: ProductForSale | undefined, variant: VariantForSale | undefined): CartItemResponseDto {
  const price = variant?.price ?? 0;
  const available = variant?.active ? variant.sellable : 0;
  const issue = issueOf(line, variant);
  return {
    productId: line.productId.toHexString(),
    variantId: variantIdOf(line),
    ...(variant && { sku: variant.sku }),
    options: { ...(variant?.options ?? {}) },
    title: product?.title ?? 'Unavailable product',
    price,
    quantity: line.quantity,
    lineTotal: lineTotal({ price, quantity: line.quantity }),
    ...((variant?.image ?? product?.image) && { image: variant?.image ?? product?.image }),
    available,
    ...(issue && { issue }),
  };
}

function issueOf(line: CartLine, variant: VariantForSale | undefined): CartLineIssue | undefined {
  if (!variant?.active) return 'unavailable';
  if (variant.sellable === 0) return 'out_of_stock';
  if (line.quantity > variant.sellable) return 'insufficient_stock';
  return undefined;
}
