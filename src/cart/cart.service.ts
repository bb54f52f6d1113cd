import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomBytes } from 'node:crypto';
import { Model, mongo, Types } from 'mongoose';
import { InvalidInputError, NotAuthenticatedError, StateConflictError, isDuplicateKeyError, NotFoundError, TurnBatchedFind, TurnBatchedWrites } from '@app/common';
import { sha256 } from '../access/sessions.service';
import { AppConfig } from '../config/app-config';
import { InventoryService, ProductForSale, StockLine, VariantForSale } from '../products/inventory.service';
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
/** Guest carts an account cart remembers having merged (mergedFrom). */
const MERGED_FROM_KEPT = 20;

/** Who asks for a cart: an account, or a guest by the `X-Cart-Token` they carry (neither: nobody yet). */
export interface CartCaller {
  userId?: string;
  cartToken?: string;
}

/** The cart a request works on (its owner id: the account's, or a guest cart's own), and a token just issued for it. */
export interface CartOwner {
  ownerId: string;
  newToken?: string;
}

/**
 * Whether two lines hold the same thing. Every comparison of lines across carts (the merge) goes
 * through here, so that keying lines by variant is a change of this one function.
 */
export function sameLine(a: Pick<CartLine, 'productId' | 'variantId'>, b: Pick<CartLine, 'productId' | 'variantId'>): boolean {
  return variantIdOf(a) === variantIdOf(b);
}

/** A change's new lines, and the products of all of them if it read them (the answer shows those). */
interface CartEdit {
  items: CartLine[];
  products?: Map<string, ProductForSale>;
}

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
  /** Every cart request and checkout reads its cart: the reads of one turn share one find. */
  private readonly cartReads: TurnBatchedFind<Cart>;
  /** Every checkout empties its cart: those of one turn go in one update command. */
  private readonly clears: TurnBatchedWrites<Cart>;

  constructor(
    @InjectModel(Cart.name) private readonly carts: Model<Cart>,
    private readonly inventory: InventoryService,
    private readonly pricing: Pricing,
    private readonly config: AppConfig,
  ) {
    this.cartReads = new TurnBatchedFind(this.collection(), 'userId');
    this.clears = new TurnBatchedWrites(this.collection());
  }

  /** The driver's collection, typed: for the hot reads and writes, built from typed values (nothing to cast). */
  private collection(): mongo.Collection<Cart> {
    return this.carts.collection as unknown as mongo.Collection<Cart>;
  }

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
   * Adds to the variant's line (creating it); the line's new quantity must be sellable and within
   * the variant's units per order, and a new line must fit in MAX_CART_LINES. `variantId` may be
   * left out for a product with one variant. The write is conditioned on the cart's version, so
   * two simultaneous adds cannot both take the last line.
   */
  async addItem(userId: string, productId: string, variantId: string | undefined, quantity: number): Promise<CartResponseDto> {
    return this.change(userId, async (items) => {
      // The cart's products and the one added in one read, which the answer shows too (a cart
      // write changes no stock, so it is as current as a read after the write).
      const products = await this.inventory.forSale([productId, ...items.map((line) => line.productId.toHexString())]);
      const product = products.get(productId);
      if (!product?.active) throw new NotFoundError('Product not found');
      const variant = chosenVariant(product, variantId);
      const existing = items.find((line) => line.productId.equals(productId) && variantIdOf(line) === variant.id);
      const maxLines = this.config.get('MAX_CART_LINES');
      if (!existing && items.length >= maxLines) throw new CartFullError(maxLines);
      const wanted = (existing?.quantity ?? 0) + quantity;
      if (wanted > MAX_LINE_QUANTITY) throw new InvalidInputError(`A cart holds at most ${MAX_LINE_QUANTITY} units of one product`);
      this.assertSellable(product, variant, wanted);
      const line = { productId: new Types.ObjectId(productId), variantId: new Types.ObjectId(variant.id), quantity: wanted };
      return { items: existing ? items.map((candidate) => (candidate === existing ? line : candidate)) : [...items, line], products };
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
      return { items: items.map((line) => (line === existing ? { ...line, quantity } : line)) };
    });
  }

  async removeItem(userId: string, id: string): Promise<CartResponseDto> {
    return this.change(userId, async (items) => {
      const existing = await this.lineNamed(items, id);
      return { items: items.filter((line) => line !== existing) };
    });
  }

  async clear(userId: string): Promise<void> {
    await this.carts.updateOne({ userId }, { $set: { items: [], promotionCodes: [] }, $inc: { version: 1 } });
  }

  /** What checkout orders: the lines, and the version to empty the cart at afterwards. */
  async snapshot(userId: string): Promise<CartSnapshot> {
    const cart = await this.read(userId);
    return {
      lines: cart.items.map((line) => ({ productId: line.productId.toHexString(), variantId: variantIdOf(line), quantity: line.quantity })),
      codes: cart.codes,
      version: cart.version,
    };
  }

  /**
   * Empties the cart after a checkout, unless it changed while the checkout ran (those lines
   * stay). Nothing depends on which of the two happened, so it goes with the turn's other clears.
   */
  async clearIfUnchanged(userId: string, version: number): Promise<void> {
    // Through the driver (every checkout ends here): typed values, nothing to cast; `updatedAt`
    // set here as the schema's timestamps would.
    await this.clears.update(
      { userId: new Types.ObjectId(userId), version },
      { $set: { items: [], promotionCodes: [], updatedAt: new Date() }, $inc: { version: 1 } },
    );
  }

  /**
   * The cart the caller works on: the account's, else the live guest cart its token names (404
   * when unknown, expired or merged). With `open`, a caller without either gets a new guest cart
   * and its token (the first anonymous add); without, such a caller is not authenticated (401).
   */
  async ownerFor(caller: CartCaller, { open = false } = {}): Promise<CartOwner> {
    if (caller.userId) return { ownerId: caller.userId };
    if (caller.cartToken) return { ownerId: await this.guestCartOwner(caller.cartToken) };
    if (open) return this.openGuestCart();
    throw new NotAuthenticatedError('Log in, or send the X-Cart-Token of your cart');
  }

  /**
   * A new, empty guest cart behind a random 256-bit token. Only the token's SHA-256 is stored: a
   * copy of the database opens nobody's cart. The cart lives GUEST_CART_TTL_DAYS after its last use.
   */
  private async openGuestCart(): Promise<CartOwner> {
    const token = randomBytes(32).toString('base64url');
    const ownerId = new Types.ObjectId();
    await this.carts.create({ userId: ownerId, guestTokenHash: sha256(token), guestExpiresAt: this.guestExpiry(), items: [], version: 1 });
    return { ownerId: ownerId.toHexString(), newToken: token };
  }

  /** The owner id of the live guest cart the token names, its life extended (it is in use). */
  private async guestCartOwner(token: string): Promise<string> {
    const cart = await this.carts
      .findOneAndUpdate(
        { guestTokenHash: sha256(token), guestExpiresAt: { $gt: new Date() }, mergedInto: { $exists: false } },
        { $set: { guestExpiresAt: this.guestExpiry() } },
        { projection: { userId: 1 } },
      )
      .lean();
    if (!cart) throw new NotFoundError('This cart token is unknown, expired, or its cart was merged into an account');
    return cart.userId.toHexString();
  }

  private guestExpiry(): Date {
    return new Date(Date.now() + this.config.get('GUEST_CART_TTL_DAYS') * 86_400_000);
  }

  /**
   * Moves a guest cart into the account's (login or registration with its token). The token is
   * consumed by the conditional write that marks the guest cart merged into this account (from
   * then on it opens no cart); then its lines are added to the account's cart: summed per line,
   * capped at what is sellable (and the per-order limits), a capped line flagged. That second
   * write also records the guest cart in the account cart's `mergedFrom`, and is conditioned on
   * it not being there: so of logins racing with one token the lines land once, a repeated
   * login changes nothing, and a login retried after a merge that stopped between the two
   * writes (a crash, a failed request) finishes it instead of losing the guest's lines. A token
   * that is unknown, expired or merged into another account merges nothing.
   */
  async mergeGuestCart(token: string, userId: string): Promise<void> {
    const account = new Types.ObjectId(userId);
    const tokenHash = sha256(token);
    const guest =
      (await this.carts
        .findOneAndUpdate(
          { guestTokenHash: tokenHash, guestExpiresAt: { $gt: new Date() }, mergedInto: { $exists: false } },
          // The version too: a change of the guest cart racing this one fails and re-reads instead
          // of landing in a cart already merged.
          { $set: { mergedInto: account }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        )
        .lean()) ?? (await this.carts.findOne({ guestTokenHash: tokenHash, mergedInto: account }).lean());
    if (!guest || guest.items.length === 0) return;
    await this.change(userId, (items) => this.mergeLines(items, guest.items), guest._id);
  }

  /** The account's lines with the guest's added (see mergeGuestCart); a guest line nothing of which is sellable is left out. */
  private async mergeLines(account: CartLine[], guest: CartLine[]): Promise<CartEdit> {
    const products = await this.inventory.forSale([...account, ...guest].map((line) => line.productId.toHexString()));
    const storeLimit = this.config.get('MAX_UNITS_PER_LINE');
    const maxLines = this.config.get('MAX_CART_LINES');
    const merged = [...account];
    for (const line of guest) {
      const product = products.get(line.productId.toHexString());
      const variant = product?.active ? product.variants.find((candidate) => candidate.id === variantIdOf(line)) : undefined;
      const limit = variant?.active ? Math.min(variant.sellable, unitLimitOf(variant, storeLimit), MAX_LINE_QUANTITY) : 0;
      const index = merged.findIndex((existing) => sameLine(existing, line));
      const had = index >= 0 ? merged[index].quantity : 0;
      const wanted = had + line.quantity;
      // Never below what the account's line already held: the merge adds, it does not take away.
      const quantity = Math.max(had, Math.min(wanted, limit));
      const mergedLine: CartLine = {
        productId: line.productId,
        ...(line.variantId && { variantId: line.variantId }),
        quantity,
        ...(quantity < wanted && { cappedAtMerge: true }),
      };
      if (index >= 0) merged[index] = mergedLine;
      else if (quantity > 0 && merged.length < maxLines) merged.push(mergedLine);
    }
    return { items: merged, products };
  }

  private async read(userId: string): Promise<{ items: CartLine[]; codes: string[]; version: number; exists: boolean; mergedFrom: Types.ObjectId[] }> {
    // The driver's read, by the unique userId: nothing to cast.
    const [cart] = await this.cartReads.find([new Types.ObjectId(userId)]);
    return cart
      ? { items: cart.items, codes: cart.promotionCodes ?? [], version: cart.version, exists: true, mergedFrom: cart.mergedFrom ?? [] }
      : { items: [], codes: [], version: 0, exists: false, mergedFrom: [] };
  }

  /** `mergedFrom`: the change adds a guest cart's lines, once (mergeGuestCart). */
  private async change(userId: string, edit: (items: CartLine[]) => Promise<CartEdit>, mergedFrom?: Types.ObjectId): Promise<CartResponseDto> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt += 1) {
      const cart = await this.read(userId);
      if (mergedFrom && cart.mergedFrom.some((id) => id.equals(mergedFrom))) return this.render(cart.items, cart.codes);
      const { items, products } = await edit(cart.items);
      if (await this.write(userId, cart, items, mergedFrom)) return this.render(items, cart.codes, products);
    }
    throw new StateConflictError('The cart kept changing; try again');
  }

  private async write(userId: string, read: { version: number; exists: boolean }, items: CartLine[], mergedFrom?: Types.ObjectId): Promise<boolean> {
    if (read.exists) {
      // Through the driver: the lines are typed (ObjectIds, whole quantities checked by the rule
      // above), so there is nothing to cast; `updatedAt` set here as the schema's timestamps would.
      const result = await this.collection().updateOne(
        { userId: new Types.ObjectId(userId), version: read.version },
        {
          $set: { items, updatedAt: new Date() },
          $inc: { version: 1 },
          // The latest few are enough: a merge is finished again within moments, by a retried login.
          ...(mergedFrom && { $push: { mergedFrom: { $each: [mergedFrom], $slice: -MERGED_FROM_KEPT } } }),
        },
      );
      return result.modifiedCount === 1;
    }
    try {
      await this.carts.create({ userId, items, version: 1, ...(mergedFrom && { mergedFrom: [mergedFrom] }) });
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

  /**
   * Current titles, prices and stock; lines that would block checkout say why. `read`: the
   * products of every line, read by the change just made (a product not in it does not exist).
   */
  private async render(items: CartLine[], promotionCodes: string[], read?: Map<string, ProductForSale>): Promise<CartResponseDto> {
    const products = read ?? (await this.inventory.forSale(items.map((line) => line.productId.toHexString())));
    const lines = items.map((line) => {
      const product = products.get(line.productId.toHexString());
      return renderLine(line, product, product?.variants.find((variant) => variant.id === variantIdOf(line)));
    });
    return {
      items: lines,
      subtotal: lines.reduce((sum, line) => sum + line.lineTotal, 0),
      currency: this.config.get('STORE_CURRENCY'),
      checkoutReady: lines.every((line) => line.issue === undefined),
      promotionCodes,
    };
  }
}

/** The variant a line holds: lines from before variants hold the default one, whose id is the product's. */
export function variantIdOf(line: Pick<CartLine, 'productId' | 'variantId'>): string {
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
    lineTotal: price * line.quantity,
    ...((variant?.image ?? product?.image) && { image: variant?.image ?? product?.image }),
    available,
    ...(issue && { issue }),
    ...(line.cappedAtMerge && { cappedAtMerge: true }),
  };
}

function issueOf(line: CartLine, variant: VariantForSale | undefined): CartLineIssue | undefined {
  if (!variant?.active) return 'unavailable';
  if (variant.sellable === 0) return 'out_of_stock';
  if (line.quantity > variant.sellable) return 'insufficient_stock';
  return undefined;
}
