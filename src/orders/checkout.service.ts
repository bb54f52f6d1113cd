import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { InvalidInputError, isDuplicateKeyError, NotAuthenticatedError } from '@app/common';
import { sha256 } from '../access/sessions.service';
import type { AuthUser } from '../access/current-user.decorator';
import { CartFullError, OverLimitLine, PerOrderLimitError, unitLimitOf } from '../cart/cart-limits';
import { CartService } from '../cart/cart.service';
import { AppConfig } from '../config/app-config';
import { InventoryService, shortLineOf, StockLine } from '../products/inventory.service';
import { OutOfStockError } from '../products/stock.errors';
import type { CreatedIntent, PaymentProvider } from '../payment-providers/payment-provider';
import { DEFAULT_PAYMENT_PROVIDER, PaymentProviders } from '../payment-providers/payment-providers';
import { AddressesService } from '../users/addresses.service';
import { toPostalAddress } from '../users/schemas/address.schema';
import { CheckoutDto } from './dto/order.dto';
import { OrderLifecycle } from './order-lifecycle.service';
import { NewOrder, OrderRecord, OrderStore } from './order.store';
import { OrderNumbers } from './order-numbers';
import { pricingLinesOf } from '../cart/cart-pricing';
import { quoteTotals } from '../pricing/dto/quote.dto';
import { Pricing } from '../pricing/pricing.service';
import { promotionCustomerOf, PromotionUses } from '../pricing/promotion-uses';
import { NoEligibleShippingError, normalizeCode, Quote } from '../pricing/quote';
import { CheckoutInProgressError, EmptyCartError, IdempotencyKeyReusedError } from './orders.errors';
import { OrderLine, ShippingAddress } from './schemas/order.schema';
import { UnpaidOrderSlots } from './unpaid-order-slots';

/** How long a request with a key waits for a simultaneous request with the same key to place its order. */
const REPLAY_WAIT_MS = 20_000;
const REPLAY_POLL_MS = 100;
/** A replay whose first request failed (and gave its claim up) tries itself this often. */
const CLAIM_ATTEMPTS = 3;

/** Who asks to check out: an account, or a guest by the cart token they carry. */
export interface CheckoutCaller {
  user?: Pick<AuthUser, 'id' | 'email'>;
  cartToken?: string;
}

/**
 * Who checks out: an account (its own cart), or a guest (the cart their token names, and the
 * email they give). `cartOwnerId` keys the cart and scopes the Idempotency-Key.
 */
interface Customer {
  userId?: string;
  cartOwnerId: string;
  email: string;
}

interface CheckoutRequest {
  userId?: string;
  cartOwnerId: string;
  email: string;
  lines: StockLine[];
  /** Promotion codes in the cart. */
  codes: string[];
  shippingMethodId?: string;
  cartVersion: number;
  address: ShippingAddress;
  provider: string;
  hash: string;
}

/**
 * Checkout (API.md, "Checkout"): the order document is written first, in the internal status
 * `placing`, carrying a unique `idempotencyScope` — with an Idempotency-Key, simultaneous
 * requests race on that unique index and exactly one places the order, the others wait for it
 * and return it. The order claims one of the customer's MAX_UNPAID_ORDERS places
 * (UnpaidOrderSlots; none free → 429 and the unplaced order removed) before any stock is taken.
 * Then, at once, the stock is allocated for the order's id (each line idempotent per order on
 * the product), the promotion uses are taken and the PaymentIntent is created with an
 * idempotency key derived from the order; one transition, conditioned on the order being as
 * written, makes it `pending_payment` with its `OrderPlaced` event. Any failure on the way gives
 * the allocation and the uses back and removes the unplaced order; a crash on the way is cleaned
 * up by the sweeper (OrderLifecycle.abandonDeadCheckouts).
 *
 * Round trips are what a checkout costs (README, "Checkout"), so whatever does not depend on
 * another step runs beside it: the order number beside the pricing reads, the slot claim beside
 * the order's write (without a key), the payment beside the allocation.
 */
@Injectable()
export class CheckoutService {
  private readonly logger = new Logger(CheckoutService.name);

  constructor(
    private readonly orders: OrderStore,
    private readonly cart: CartService,
    private readonly addresses: AddressesService,
    private readonly inventory: InventoryService,
    private readonly payments: PaymentProviders,
    private readonly lifecycle: OrderLifecycle,
    private readonly numbers: OrderNumbers,
    private readonly unpaidOrders: UnpaidOrderSlots,
    private readonly pricing: Pricing,
    private readonly promotionUses: PromotionUses,
    private readonly config: AppConfig,
  ) {}

  async checkout(caller: CheckoutCaller, dto: CheckoutDto, idempotencyKey?: string): Promise<OrderRecord> {
    const customer = await this.customerOf(caller, dto);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const request = await this.describe(customer, dto);
      // Per account, or for a guest per cart token (the cart's owner id).
      const scope = idempotencyKey ? `${customer.cartOwnerId}:${idempotencyKey}` : undefined;
      if (scope) {
        const earlier = await this.orders.findByIdempotencyScope(scope);
        if (earlier) {
          const replayed = await this.replay(earlier, request);
          if (replayed) return replayed;
          continue;
        }
      }
      if (request.lines.length === 0) throw new EmptyCartError();
      const placed = await this.place(request, scope);
      if (placed) return placed;
    }
    throw new CheckoutInProgressError();
  }

  /**
   * An account checks out its cart under its email; a guest needs the cart token and gives an
   * email (an address book is an account's). A guest's email that has an account is allowed: the
   * order stays no account's until that account, verified, claims it.
   */
  private async customerOf({ user, cartToken }: CheckoutCaller, dto: CheckoutDto): Promise<Customer> {
    if (user) {
      if (dto.email !== undefined) throw new InvalidInputError('email is for guest checkout; an account\'s orders go to its own email');
      return { userId: user.id, cartOwnerId: user.id, email: user.email };
    }
    if (!cartToken) throw new NotAuthenticatedError('Log in, or send the X-Cart-Token of your cart');
    if (dto.email === undefined) throw new InvalidInputError('A guest checkout needs an email');
    if (dto.addressId !== undefined) throw new InvalidInputError('A guest checkout gives shippingAddress, not addressId');
    const { ownerId } = await this.cart.ownerFor({ cartToken });
    return { cartOwnerId: ownerId, email: dto.email };
  }

  /** The cart and address as they are now, and their fingerprint. */
  private async describe({ userId, cartOwnerId, email }: Customer, dto: CheckoutDto): Promise<CheckoutRequest> {
    if ((dto.addressId === undefined) === (dto.shippingAddress === undefined)) {
      throw new InvalidInputError('Give either addressId or shippingAddress');
    }
    const address = dto.addressId ? toPostalAddress(await this.addresses.get(userId!, dto.addressId)) : toPostalAddress(dto.shippingAddress!);
    const provider = this.payments.get(dto.paymentProvider ?? DEFAULT_PAYMENT_PROVIDER).name;
    const { lines, codes, version } = await this.cart.snapshot(cartOwnerId);
    const sorted = [...lines].sort((a, b) => a.productId.localeCompare(b.productId) || a.variantId.localeCompare(b.variantId));
    const shippingMethodId = dto.shippingMethodId;
    const fingerprint = { lines: sorted, address, provider, ...(codes.length > 0 && { codes: [...codes].sort() }), ...(shippingMethodId && { shippingMethodId }) };
    const hash = createHash('sha256').update(JSON.stringify(fingerprint)).digest('hex');
    return { userId, cartOwnerId, email, lines: sorted, codes, ...(shippingMethodId && { shippingMethodId }), cartVersion: version, address, provider, hash };
  }

  /**
   * The order an earlier request with the same key placed. An empty cart means the earlier
   * request emptied it: this is a retry, answered with that order. A cart that differs from what
   * the earlier request ordered is a different checkout under a reused key (422). Returns null
   * when the earlier request failed and gave its claim up: the caller then tries itself.
   */
  private async replay(earlier: OrderRecord, request: CheckoutRequest): Promise<OrderRecord | null> {
    if (request.lines.length > 0 && earlier.requestHash !== request.hash) throw new IdempotencyKeyReusedError();
    const deadline = Date.now() + REPLAY_WAIT_MS;
    for (let order: OrderRecord | null = earlier; order; order = await this.orders.findById(earlier._id)) {
      if (order.status !== 'placing') return order;
      if (Date.now() > deadline) throw new CheckoutInProgressError();
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
    }
    return null;
  }

  /** Returns null when another request claimed the same key first. */
  private async place(request: CheckoutRequest, scope: string | undefined): Promise<OrderRecord | null> {
    const maxLines = this.config.get('MAX_CART_LINES');
    if (request.lines.length > maxLines) throw new CartFullError(maxLines);
    const products = await this.inventory.forSale(request.lines.map((line) => line.productId));
    const variantOf = (line: StockLine) => products.get(line.productId)?.variants.find((variant) => variant.id === line.variantId);
    const storeLimit = this.config.get('MAX_UNITS_PER_LINE');
    const overLimit = request.lines.flatMap((line): OverLimitLine[] => {
      const variant = variantOf(line);
      const maxPerOrder = variant ? unitLimitOf(variant, storeLimit) : storeLimit;
      return line.quantity > maxPerOrder ? [{ productId: line.productId, variantId: line.variantId, requested: line.quantity, maxPerOrder }] : [];
    });
    if (overLimit.length > 0) throw new PerOrderLimitError(overLimit);
    // An archived, sold-out or short variant: 409 naming its line, before anything is taken.
    const short = request.lines.filter((line) => {
      const variant = variantOf(line);
      return !variant?.active || variant.sellable < line.quantity;
    });
    if (short.length > 0) throw new OutOfStockError(short.map((line) => shortLineOf(line, products.get(line.productId))));

    // The same pricing as GET /cart/quote: every line is for sale here (checked above), so the
    // quote's lines are the request's, in its order.
    // perCustomerLimit counts the account, or for a guest the email (API.md).
    const customer = promotionCustomerOf(request.userId ? { userId: request.userId } : { email: request.email });
    // The order number is taken while the cart is priced (it costs no time of its own). A
    // checkout that fails from here on leaves a gap in the numbers, as one refused later always did.
    const [quote, number] = await Promise.all([
      this.pricing.quote({
        lines: pricingLinesOf(request.lines, products),
        destination: { country: request.address.country, ...(request.address.state && { region: request.address.state }) },
        codes: request.codes,
        customer,
        ...(request.shippingMethodId && { shippingMethodId: request.shippingMethodId }),
        refuseUsedUpCodes: true,
      }),
      this.numbers.next(),
    ]);
    if (quote.noEligibleShipping) throw new NoEligibleShippingError();
    const items: OrderLine[] = quote.lines.map((line, index) => {
      // The quote's lines are the request's, in its order (every line is for sale, checked above).
      const stockLine = request.lines[index];
      const product = products.get(stockLine.productId)!;
      const variant = variantOf(stockLine)!;
      const image = variant.image ?? product.image;
      return {
        productId: new Types.ObjectId(stockLine.productId),
        variantId: new Types.ObjectId(stockLine.variantId),
        sku: variant.sku,
        options: variant.options,
        title: product.title,
        price: line.unitPrice,
        quantity: line.quantity,
        lineTotal: line.lineTotal,
        ...(image && { image }),
        discount: line.discount,
        taxRate: line.taxRate,
        tax: line.tax,
      };
    });
    const totals = quoteTotals(quote);
    const orderId = new Types.ObjectId();
    const slotHolders = unpaidSlotHoldersOf(request);
    const order = await this.open(
      {
        _id: orderId,
        number,
        ...(request.userId && { userId: new Types.ObjectId(request.userId) }),
        email: request.email,
        items,
        ...totals,
        ...orderPromotionsOf(quote, customer),
        currency: this.config.get('STORE_CURRENCY'),
        shippingAddress: request.address,
        payment: { provider: request.provider },
        idempotencyScope: scope ?? `order:${orderId.toHexString()}`,
        requestHash: request.hash,
      },
      slotHolders,
      scope !== undefined,
    );
    if (!order) return null;

    // The stock, the promotion uses and the payment at once. Whatever fails, everything the order
    // took is given back (abandonPlacing: each take is idempotent per order, so giving back what
    // was never taken does nothing) once every one of them has settled.
    const provider = this.payments.get(request.provider);
    const [allocated, promoted, intent] = await Promise.allSettled([
      this.inventory.allocate(orderId.toHexString(), request.lines),
      // Given back with the stock (abandonPlacing) on any failure.
      this.promotionUses.take(orderId, quote.promotions, customer),
      provider.createIntent({
        orderId: orderId.toHexString(),
        orderNumber: number,
        amount: totals.total,
        currency: order.currency,
        idempotencyKey: `order:${orderId.toHexString()}:intent`,
      }),
    ]);
    let placed: OrderRecord;
    try {
      // The first failure in this order is the answer: a short line (409) before a used-up code before the provider.
      for (const outcome of [allocated, promoted, intent]) if (outcome.status === 'rejected') throw outcome.reason;
      const { intentId, clientSecret, approvalUrl } = (intent as PromiseFulfilledResult<CreatedIntent>).value;
      placed = await this.lifecycle.placeOrder(order, {
        set: {
          payment: { intentId, clientSecret, approvalUrl },
          paymentDueAt: new Date(Date.now() + this.config.get('ORDER_PAYMENT_TTL_MINUTES') * 60_000),
        },
      });
    } catch (error) {
      const abandoned = await this.lifecycle.abandonPlacing(order);
      await this.releaseUnpaidSlots(slotHolders, orderId);
      // Not when the order was placed after all (its placing write went through, its answer was lost).
      if (abandoned && intent.status === 'fulfilled') this.cancelUnusedIntent(provider, orderId, intent.value.intentId);
      throw error;
    }
    await this.cart.clearIfUnchanged(request.cartOwnerId, request.cartVersion);
    return placed;
  }

  /**
   * Writes the order in `placing` and claims its MAX_UNPAID_ORDERS slots: after the order is
   * written and before any stock is taken, so that at the cap the unplaced order goes (429) and
   * nothing was taken. Null when another request with the same key wrote its order first.
   *
   * With an Idempotency-Key the order is written first: the key must be this request's before it
   * takes a slot, so that a retry racing it waits for its order instead of being refused at the
   * cap. Without one no other request can write this order, and the two writes go at once.
   */
  private async open(fields: NewOrder, slotHolders: string[], keyed: boolean): Promise<OrderRecord | null> {
    const write = async () => {
      try {
        return await this.orders.place(fields);
      } catch (error) {
        if (keyed && isDuplicateKeyError(error)) return null;
        throw error;
      }
    };
    if (keyed) {
      const order = await write();
      if (!order) return null;
      try {
        await this.claimUnpaidSlots(slotHolders, fields._id);
      } catch (error) {
        await this.orders.discardPlacing(fields._id);
        throw error;
      }
      return order;
    }
    // The claim first: its read goes out before the CPU work of building the order's document.
    const [claimed, written] = await Promise.allSettled([this.claimUnpaidSlots(slotHolders, fields._id), write()]);
    if (written.status === 'fulfilled' && claimed.status === 'fulfilled') return written.value;
    if (written.status === 'fulfilled') await this.orders.discardPlacing(fields._id);
    if (claimed.status === 'fulfilled') await this.releaseUnpaidSlots(slotHolders, fields._id);
    throw written.status === 'rejected' ? written.reason : (claimed as PromiseRejectedResult).reason;
  }

  /**
   * A payment created for an order that was not placed: nobody got its client secret or approval
   * link, so nobody can pay it; it is cancelled at the provider all the same, without holding
   * the answer (a failure is logged and changes nothing for the customer).
   */
  private cancelUnusedIntent(provider: PaymentProvider, orderId: Types.ObjectId, intentId: string): void {
    provider.cancelIntent({ intentId, idempotencyKey: `order:${orderId.toHexString()}:cancel-intent` }).catch((error: Error) => {
      this.logger.warn(`Payment ${intentId} of unplaced order ${orderId.toHexString()} not cancelled: ${error.message}`);
    });
  }

  /** One MAX_UNPAID_ORDERS slot from each holder, or none (the ones taken given back). */
  private async claimUnpaidSlots(holders: string[], orderId: Types.ObjectId): Promise<void> {
    const claimed: string[] = [];
    try {
      for (const holder of holders) {
        await this.unpaidOrders.claim(holder, orderId);
        claimed.push(holder);
      }
    } catch (error) {
      await this.releaseUnpaidSlots(claimed, orderId);
      throw error;
    }
  }

  /** Gives the order's slots back (each release is idempotent per order). */
  private async releaseUnpaidSlots(holders: string[], orderId: Types.ObjectId): Promise<void> {
    await Promise.all(holders.map((holder) => this.unpaidOrders.release(holder, orderId)));
  }
}

/**
 * Whose MAX_UNPAID_ORDERS an order counts against: the account's; for a guest, both the cart
 * token's (its cart's owner id) and the email's, so that neither new carts nor new addresses
 * lift the cap. The email's holder is an id derived from its hash (slots are keyed by ids).
 */
function unpaidSlotHoldersOf(request: Pick<CheckoutRequest, 'userId' | 'cartOwnerId' | 'email'>): string[] {
  if (request.userId) return [request.userId];
  return [request.cartOwnerId, sha256(`guest-email:${request.email}`).slice(0, 24)];
}

/** What the order copies of the quote's promotions and shipping method. */
function orderPromotionsOf(quote: Quote, customer: string) {
  return {
    ...(quote.shippingMethod && { shippingMethod: quote.shippingMethod }),
    promotions: quote.promotions.map(({ id, code, name, discount }) => ({ promotionId: id, ...(code !== undefined && { code }), name, discount })),
    ...(quote.promotions.length > 0 && {
      promotionCodes: quote.promotions.flatMap((promotion) => (promotion.code === undefined ? [] : [normalizeCode(promotion.code)])),
      promotionCustomer: customer,
    }),
  };
}
