import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RuleViolationError } from '@app/common';
import { AppConfig } from '../config/app-config';
import { customerUseKey, limitsOf, PromotionLimits, PromotionUsedUpError } from './promotion-uses';
import { AppliedPromotion, Destination, normalizeCode, PricingLine, priceCart, PromotionRefusal, promotionRefusal, PromotionRule, Quote } from './quote';
import { Promotion, PromotionCustomerUse } from './schemas/promotion.schema';
import { PricingSettings, PricingSettingsCache } from './pricing-settings-cache';

export interface QuoteRequest {
  lines: PricingLine[];
  destination: Destination;
  /** Codes in the cart. */
  codes: string[];
  /** For perCustomerLimit (promotionCustomerOf); absent: not known yet. */
  customer?: string;
  shippingMethodId?: string;
  /**
   * Checkout: a code in the cart with no use left is a 409 naming it (the customer chose it; an
   * order silently placed without it would charge more than they were shown). A quote just
   * leaves it out.
   */
  refuseUsedUpCodes?: boolean;
}

const REFUSALS: Record<PromotionRefusal | 'unknown', string> = {
  unknown: 'This code is unknown',
  inactive: 'This promotion is not active',
  not_started: 'This promotion has not started yet',
  expired: 'This promotion has expired',
  used_up: 'This promotion is used up',
  min_subtotal: 'The cart is below this promotion\'s minimum subtotal',
  no_eligible_lines: 'No line of this cart is eligible for this promotion',
};

/** A code the cart cannot take (422): `reason` says why. */
export class PromotionRefusedError extends RuleViolationError {
  constructor(reason: PromotionRefusal | 'unknown') {
    super(REFUSALS[reason], { reason });
  }
}

/**
 * A quote with each applied promotion's limits as read for it, which a checkout's take is guarded
 * by (PromotionUses: no second read of the promotion on the checkout path).
 */
export interface PricedQuote extends Quote {
  promotions: (AppliedPromotion & PromotionLimits)[];
}

/**
 * Reads what pricing needs (rates for the destination, shipping methods, the promotions that
 * could apply with how many uses they have left; the settings from PricingSettingsCache) and
 * hands it to the one pure function,
 * `priceCart`: the cart quote and checkout both come through here.
 */
@Injectable()
export class Pricing {
  constructor(
    private readonly settings: PricingSettingsCache,
    @InjectModel(Promotion.name) private readonly promotions: Model<Promotion>,
    @InjectModel(PromotionCustomerUse.name) private readonly customerUses: Model<PromotionCustomerUse>,
    private readonly config: AppConfig,
  ) {}

  async quote(request: QuoteRequest, now = new Date()): Promise<PricedQuote> {
    const codes = request.codes.map(normalizeCode);
    const settings = await this.settings.current();
    const promotions = await this.promotionsFor(settings, codes);
    const taxRates = settings.taxRates.filter((rate) => rate.country === request.destination.country);
    const shippingMethods = settings.shippingMethods;
    const rules = await this.withUses(promotions, request.customer);
    const usedUp = request.refuseUsedUpCodes && rules.find((rule) => rule.code !== undefined && rule.usedUp);
    if (usedUp) throw new PromotionUsedUpError(usedUp);
    const quote = priceCart({
      lines: request.lines,
      destination: { country: request.destination.country, ...(request.destination.region && { region: request.destination.region }) },
      shippingMethods: shippingMethods.map((method) => ({ ...method, id: method._id.toHexString(), ...withoutNulls(method, ['freeFrom', 'minSubtotal', 'maxSubtotal']) })),
      taxRates: taxRates.map((rate) => ({ country: rate.country, taxClass: rate.taxClass, rate: rate.rate, ...(rate.region && { region: rate.region }) })),
      promotions: rules,
      codes,
      ...(request.shippingMethodId !== undefined && { shippingMethodId: request.shippingMethodId }),
      config: {
        pricesIncludeTax: this.config.get('PRICES_INCLUDE_TAX'),
        flatShipping: { rate: this.config.get('SHIPPING_FLAT_RATE'), freeFrom: this.config.get('FREE_SHIPPING_THRESHOLD') },
      },
      now,
    });
    const limits = new Map(promotions.map((promotion) => [promotion._id.toHexString(), limitsOf(promotion)]));
    return { ...quote, promotions: quote.promotions.map((promotion) => ({ ...promotion, ...limits.get(promotion.id) })) };
  }

  /**
   * The promotions that could apply: the held automatic ones, and read fresh the ones the cart's
   * codes name and the automatic ones with a usageLimit (their `used` moves with every checkout).
   * No round trip when there is neither, as for most carts.
   */
  private async promotionsFor({ unlimitedPromotions, limitedPromotionIds }: PricingSettings, codes: string[]): Promise<Promotion[]> {
    if (codes.length === 0 && limitedPromotionIds.length === 0) return unlimitedPromotions;
    // The driver's find: plain filters, nothing to cast; without the legacy `holders`, which the schema does not select.
    // A limited automatic promotion no longer active there is left out.
    const fresh = await this.promotions.collection
      .find<Promotion>({ active: true, $or: [{ codeKey: { $in: codes } }, { _id: { $in: limitedPromotionIds } }] }, { projection: { holders: 0 } })
      .toArray();
    return [...unlimitedPromotions, ...fresh];
  }

  /** Whether a code can go into this cart now; throws PromotionRefusedError with the reason. */
  async assertApplicable(code: string, lines: PricingLine[], customer: string | undefined, now = new Date()): Promise<void> {
    const promotion = await this.promotions.findOne({ codeKey: normalizeCode(code) }).lean<Promotion>();
    if (!promotion) throw new PromotionRefusedError('unknown');
    const [rule] = await this.withUses([promotion], customer);
    const refusal = promotionRefusal(rule, lines, now);
    if (refusal) throw new PromotionRefusedError(refusal);
  }

  /** The promotions as pricing rules, `usedUp` when no use is left for the store or for this customer. */
  private async withUses(promotions: Promotion[], customer: string | undefined): Promise<PromotionRule[]> {
    const limited = customer ? promotions.filter((promotion) => promotion.perCustomerLimit) : [];
    const uses = limited.length
      ? await this.customerUses.find({ _id: { $in: limited.map((promotion) => customerUseKey(promotion._id.toHexString(), customer!)) } }).lean<PromotionCustomerUse[]>()
      : [];
    const usedBy = new Map(uses.map((use) => [use._id, use.used]));
    return promotions.map((promotion) => {
      const id = promotion._id.toHexString();
      const customerUsed = customer ? (usedBy.get(customerUseKey(id, customer)) ?? 0) : 0;
      return {
        id,
        name: promotion.name,
        type: promotion.type,
        value: promotion.value,
        combinable: promotion.combinable,
        active: promotion.active,
        ...withoutNulls(promotion, ['code', 'productIds', 'categorySlugs', 'minSubtotal', 'startsAt', 'endsAt']),
        usedUp: (promotion.usageLimit != null && promotion.used >= promotion.usageLimit) || (promotion.perCustomerLimit != null && customerUsed >= promotion.perCustomerLimit),
      };
    });
  }
}

function withoutNulls<T extends object, K extends keyof T>(record: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => record[key] !== undefined && record[key] !== null).map((key) => [key, record[key]])) as Partial<Pick<T, K>>;
}
