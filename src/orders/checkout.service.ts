import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { InvalidInputError, isDuplicateKeyError } from '@app/common';
import { CartFullError, OverLimitLine, PerOrderLimitError, unitLimitOf } from '../cart/cart-limits';
import { CartService } from '../cart/cart.service';
import { AppConfig } from '../config/app-config';
import { InventoryService, StockLine } from '../products/inventory.service';
import { OutOfStockError } from '../products/stock.errors';
import { DEFAULT_PAYMENT_PROVIDER, PaymentProviders } from '../payment-providers/payment-providers';
import { AddressesService } from '../users/addresses.service';
import { toPostalAddress } from '../users/schemas/address.schema';
import { CheckoutDto } from './dto/order.dto';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrderRecord, OrderStore } from './order.store';
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

interface CheckoutRequest {
  userId: string;
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
 * and return it. Then the order claims one of the customer's MAX_UNPAID_ORDERS places
 * (UnpaidOrderSlots; none free → 429 and the unplaced order removed), the stock is allocated
 * for the order's id (each line idempotent per order on the product), the PaymentIntent is created with an idempotency key derived from the order,
 * and one transition makes the order `pending_payment` with its `OrderPlaced` event. Any failure
 * on the way gives the allocation back and removes the unplaced order; a crash on the way is
 * cleaned up by the sweeper (OrderLifecycle.abandonDeadCheckouts).
 */
@Injectable()
export class CheckoutService {
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

  async checkout(userId: string, dto: CheckoutDto, idempotencyKey?: string): Promise<OrderRecord> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const request = await this.describe(userId, dto);
      const scope = idempotencyKey ? `${userId}:${idempotencyKey}` : undefined;
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

  /** The cart and address as they are now, and their fingerprint. */
  private async describe(userId: string, dto: CheckoutDto): Promise<CheckoutRequest> {
    if ((dto.addressId === undefined) === (dto.shippingAddress === undefined)) {
      throw new InvalidInputError('Give either addressId or shippingAddress');
    }
    const address = dto.addressId ? toPostalAddress(await this.addresses.get(userId, dto.addressId)) : toPostalAddress(dto.shippingAddress!);
    const provider = this.payments.get(dto.paymentProvider ?? DEFAULT_PAYMENT_PROVIDER).name;
    const { lines, codes, version } = await this.cart.snapshot(userId);
    const sorted = [...lines].sort((a, b) => a.productId.localeCompare(b.productId));
    const shippingMethodId = dto.shippingMethodId;
    const fingerprint = { lines: sorted, address, provider, ...(codes.length > 0 && { codes: [...codes].sort() }), ...(shippingMethodId && { shippingMethodId }) };
    const hash = createHash('sha256').update(JSON.stringify(fingerprint)).digest('hex');
    return { userId, lines: sorted, codes, ...(shippingMethodId && { shippingMethodId }), cartVersion: version, address, provider, hash };
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
    const storeLimit = this.config.get('MAX_UNITS_PER_LINE');
    const overLimit = request.lines.flatMap((line): OverLimitLine[] => {
      const product = products.get(line.productId);
      const maxPerOrder = product ? unitLimitOf(product, storeLimit) : storeLimit;
      return line.quantity > maxPerOrder ? [{ productId: line.productId, requested: line.quantity, maxPerOrder }] : [];
    });
    if (overLimit.length > 0) throw new PerOrderLimitError(overLimit);
    const short = request.lines.filter((line) => {
      const product = products.get(line.productId);
      return !product?.active || product.sellable < line.quantity;
    });
    if (short.length > 0) {
      throw new OutOfStockError(
        short.map((line) => {
          const product = products.get(line.productId);
          return { productId: line.productId, requested: line.quantity, available: product?.active ? product.sellable : 0 };
        }),
      );
    }

    // The same pricing as GET /cart/quote: every line is for sale here (checked above), so the
    // quote's lines are the request's, in its order.
    const customer = promotionCustomerOf({ userId: request.userId });
    const quote = await this.pricing.quote({
      lines: pricingLinesOf(request.lines, products),
      destination: { country: request.address.country, ...(request.address.state && { region: request.address.state }) },
      codes: request.codes,
      customer,
      ...(request.shippingMethodId && { shippingMethodId: request.shippingMethodId }),
      refuseUsedUpCodes: true,
    });
    if (quote.noEligibleShipping) throw new NoEligibleShippingError();
    const items: OrderLine[] = quote.lines.map((line) => {
      const product = products.get(line.productId)!;
      return {
        productId: new Types.ObjectId(line.productId),
        title: product.title,
        price: line.unitPrice,
        quantity: line.quantity,
        lineTotal: line.lineTotal,
        ...(product.image && { image: product.image }),
        discount: line.discount,
        taxRate: line.taxRate,
        tax: line.tax,
      };
    });
    const totals = quoteTotals(quote);
    const orderId = new Types.ObjectId();
    const number = await this.numbers.next();
    let order: OrderRecord;
    try {
      order = await this.orders.place({
        _id: orderId,
        number,
        userId: new Types.ObjectId(request.userId),
        items,
        ...totals,
        ...orderPromotionsOf(quote, customer),
        currency: this.config.get('STORE_CURRENCY'),
        shippingAddress: request.address,
        payment: { provider: request.provider },
        idempotencyScope: scope ?? `order:${orderId.toHexString()}`,
        requestHash: request.hash,
      });
    } catch (error) {
      if (scope && isDuplicateKeyError(error)) return null;
      throw error;
    }
    // After the key is ours (a retry with the same key waits for this order instead of being
    // refused) and before any stock is taken: at MAX_UNPAID_ORDERS the unplaced order goes.
    try {
      await this.unpaidOrders.claim(request.userId, orderId);
    } catch (error) {
      await this.orders.discardPlacing(orderId);
      throw error;
    }

    let placed: OrderRecord;
    try {
      await this.inventory.allocate(orderId.toHexString(), request.lines);
      // In the step that takes the stock, and given back with it (abandonPlacing) on any failure.
      await this.promotionUses.take(orderId, quote.promotions, customer);
      const intent = await this.payments.get(request.provider).createIntent({
        orderId: orderId.toHexString(),
        orderNumber: number,
        amount: totals.total,
        currency: order.currency,
        idempotencyKey: `order:${orderId.toHexString()}:intent`,
      });
      placed = await this.lifecycle.transition(orderId, 'pending_payment', 'checkout', {
        set: {
          payment: { intentId: intent.intentId, clientSecret: intent.clientSecret, approvalUrl: intent.approvalUrl },
          paymentDueAt: new Date(Date.now() + this.config.get('ORDER_PAYMENT_TTL_MINUTES') * 60_000),
        },
      });
    } catch (error) {
      await this.lifecycle.abandonPlacing(order);
      await this.unpaidOrders.release(request.userId, orderId);
      throw error;
    }
    await this.cart.clearIfUnchanged(request.userId, request.cartVersion);
    return placed;
  }
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
