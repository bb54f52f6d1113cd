import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { InvalidInputError, StateConflictError, isDuplicateKeyError, NotFoundError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { InventoryService, ProductForSale, StockLine } from '../products/inventory.service';
import { InsufficientStockError } from '../products/stock.errors';
import { Pricing } from '../pricing/pricing.service';
import { promotionCustomerOf } from '../pricing/promotion-uses';
import { normalizeCode } from '../pricing/quote';
import { QuoteQueryDto, QuoteResponseDto, toQuoteResponse } from '../pricing/dto/quote.dto';
import { pricingLinesOf } from './cart-pricing';
import { CartFullError, PerOrderLimitError, unitLimitOf } from './cart-limits';
import { CartItemResponseDto, CartLineIssue, CartResponseDto, MAX_LINE_QUANTITY } from './dto/cart.dto';
import { Cart, CartLine } from './schemas/cart.schema';

/** Re-reads after a concurrent change of the same cart before giving up with 409. */
const WRITE_ATTEMPTS = 5;

/** A cart's lines, its promotion codes, and the version they were read at. */
export interface CartSnapshot {
  lines: StockLine[];
  codes: string[];
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
    private readonly pricing: Pricing,
    private readonly config: AppConfig,
  ) {}

  async view(userId: string): Promise<CartResponseDto> {
    const cart = await this.read(userId);
    return this.render(cart.items, cart.codes);
  }

  /**
   * Adds a promotion code to the cart after checking it applies to the cart now (else 422 with
   * the reason). Whether it still applies is decided again by every quote and by checkout.
   */
  async applyPromotion(userId: string, code: string): Promise<CartResponseDto> {
    const cart = await this.snapshot(userId);
    const products = await this.inventory.forSale(cart.lines.map((line) => line.productId));
    await this.pricing.assertApplicable(code, pricingLinesOf(cart.lines, products), promotionCustomerOf({ userId }));
    await this.carts.updateOne({ userId }, { $addToSet: { promotionCodes: normalizeCode(code) }, $inc: { version: 1 } });
    return this.view(userId);
  }

  async removePromotion(userId: string, code: string): Promise<CartResponseDto> {
    await this.carts.updateOne({ userId }, { $pull: { promotionCodes: normalizeCode(code) }, $inc: { version: 1 } });
    return this.view(userId);
  }

  /** The cart priced for a destination: exactly what a checkout of it there would charge. */
  async quote(userId: string, query: QuoteQueryDto): Promise<QuoteResponseDto> {
    const cart = await this.snapshot(userId);
    const products = await this.inventory.forSale(cart.lines.map((line) => line.productId));
    const quote = await this.pricing.quote({
      lines: pricingLinesOf(cart.lines, products),
      destination: { country: query.country, ...(query.region && { region: query.region }) },
      codes: cart.codes,
      customer: promotionCustomerOf({ userId }),
      ...(query.shippingMethodId && { shippingMethodId: query.shippingMethodId }),
    });
    const titles = new Map([...products.values()].map((product) => [product.id, product.title]));
    return toQuoteResponse(quote, titles, this.config.get('STORE_CURRENCY'));
  }

  /**
   * Adds to the line (creating it); the line's new quantity must be sellable and within the
   * product's units per order, and a new line must fit in MAX_CART_LINES. The write is
   * conditioned on the cart's version, so two simultaneous adds cannot both take the last line.
   */
  async addItem(userId: string, productId: string, quantity: number): Promise<CartResponseDto> {
    return this.change(userId, async (items) => {
      const existing = items.find((line) => line.productId.equals(productId));
      const maxLines = this.config.get('MAX_CART_LINES');
      if (!existing && items.length >= maxLines) throw new CartFullError(maxLines);
      const wanted = (existing?.quantity ?? 0) + quantity;
      if (wanted > MAX_LINE_QUANTITY) throw new InvalidInputError(`A cart holds at most ${MAX_LINE_QUANTITY} units of one product`);
      await this.assertSellable(productId, wanted);
      if (existing) return items.map((line) => (line === existing ? { productId: line.productId, quantity: wanted } : line));
      return [...items, { productId: new Types.ObjectId(productId), quantity: wanted }];
    });
  }

  /** Sets the line's quantity; 0 removes it. */
  async setQuantity(userId: string, productId: string, quantity: number): Promise<CartResponseDto> {
    if (quantity === 0) return this.removeItem(userId, productId);
    return this.change(userId, async (items) => {
      const existing = lineOf(items, productId);
      if (quantity > existing.quantity) await this.assertSellable(productId, quantity);
      return items.map((line) => (line === existing ? { productId: line.productId, quantity } : line));
    });
  }

  async removeItem(userId: string, productId: string): Promise<CartResponseDto> {
    return this.change(userId, async (items) => {
      const existing = lineOf(items, productId);
      return items.filter((line) => line !== existing);
    });
  }

  async clear(userId: string): Promise<void> {
    await this.carts.updateOne({ userId }, { $set: { items: [], promotionCodes: [] }, $inc: { version: 1 } });
  }

  /** What checkout orders: the lines, and the version to empty the cart at afterwards. */
  async snapshot(userId: string): Promise<CartSnapshot> {
    const cart = await this.read(userId);
    return {
      lines: cart.items.map((line) => ({ productId: line.productId.toHexString(), quantity: line.quantity })),
      codes: cart.codes,
      version: cart.version,
    };
  }

  /** Empties the cart after a checkout, unless it changed while the checkout ran (those lines stay). */
  async clearIfUnchanged(userId: string, version: number): Promise<void> {
    await this.carts.updateOne({ userId, version }, { $set: { items: [], promotionCodes: [] }, $inc: { version: 1 } });
  }

  private async read(userId: string): Promise<{ items: CartLine[]; codes: string[]; version: number; exists: boolean }> {
    const cart = await this.carts.findOne({ userId }).lean();
    return cart ? { items: cart.items, codes: cart.promotionCodes ?? [], version: cart.version, exists: true } : { items: [], codes: [], version: 0, exists: false };
  }

  private async change(userId: string, edit: (items: CartLine[]) => Promise<CartLine[]>): Promise<CartResponseDto> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const cart = await this.read(userId);
      const items = await edit(cart.items);
      if (await this.write(userId, cart, items)) return this.render(items, cart.codes);
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

  private async assertSellable(productId: string, quantity: number): Promise<void> {
    const product = (await this.inventory.forSale([productId])).get(productId);
    if (!product || !product.active) throw new NotFoundError('Product not found');
    const maxPerOrder = unitLimitOf(product, this.config.get('MAX_UNITS_PER_LINE'));
    if (quantity > maxPerOrder) throw new PerOrderLimitError([{ productId, requested: quantity, maxPerOrder }]);
    if (quantity > product.sellable) throw new InsufficientStockError(productId, product.sellable);
  }

  /** Current titles, prices and stock; lines that would block checkout say why. */
  private async render(items: CartLine[], promotionCodes: string[]): Promise<CartResponseDto> {
    const products = await this.inventory.forSale(items.map((line) => line.productId.toHexString()));
    const lines = items.map((line) => renderLine(line, products.get(line.productId.toHexString())));
    return {
      items: lines,
      subtotal: lines.reduce((sum, line) => sum + line.lineTotal, 0),
      currency: this.config.get('STORE_CURRENCY'),
      checkoutReady: lines.every((line) => line.issue === undefined),
      promotionCodes,
    };
  }
}

function lineOf(items: CartLine[], productId: string): CartLine {
  const line = items.find((candidate) => candidate.productId.equals(productId));
  if (!line) throw new NotFoundError('This product is not in the cart');
  return line;
}

function renderLine(line: CartLine, product: ProductForSale | undefined): CartItemResponseDto {
  const price = product?.price ?? 0;
  const available = product?.active ? product.sellable : 0;
  return {
    productId: line.productId.toHexString(),
    title: product?.title ?? 'Unavailable product',
    price,
    quantity: line.quantity,
    lineTotal: price * line.quantity,
    ...(product?.image && { image: product.image }),
    available,
    ...(issueOf(line, product) && { issue: issueOf(line, product) }),
  };
}

function issueOf(line: CartLine, product: ProductForSale | undefined): CartLineIssue | undefined {
  if (!product?.active) return 'unavailable';
  if (product.sellable === 0) return 'out_of_stock';
  if (line.quantity > product.sellable) return 'insufficient_stock';
  return undefined;
}
