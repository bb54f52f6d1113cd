import fc from 'fast-check';
import {
  IneligibleShippingMethodError,
  PricingInput,
  PricingLine,
  priceCart,
  PromotionRule,
  promotionRefusal,
  Quote,
  ShippingMethodRule,
  TaxRateRule,
} from './quote';

const NOW = new Date('2026-06-01T12:00:00Z');
const NO_SHIPPING = { rate: 0, freeFrom: 0 };

function line(productId: string, unitPrice: number, quantity = 1, extra: Partial<PricingLine> = {}): PricingLine {
  return { productId, category: 'misc', taxClass: 'standard', unitPrice, quantity, ...extra };
}

function promo(id: string, type: PromotionRule['type'], value: number, extra: Partial<PromotionRule> = {}): PromotionRule {
  return { id, name: id, type, value, combinable: false, active: true, ...extra };
}

function method(id: string, price: number, extra: Partial<ShippingMethodRule> = {}): ShippingMethodRule {
  return { id, name: id, countries: [], price, active: true, ...extra };
}

function input(partial: Partial<PricingInput> & Pick<PricingInput, 'lines'>): PricingInput {
  return {
    destination: { country: 'GB' },
    shippingMethods: [],
    taxRates: [],
    promotions: [],
    codes: [],
    config: { pricesIncludeTax: false, flatShipping: NO_SHIPPING },
    now: NOW,
    ...partial,
  };
}

const GB20: TaxRateRule = { country: 'GB', taxClass: 'standard', rate: 2000 };

/** The amounts a fixture pins down (the rest is checked by the properties). */
type Expected = Partial<Omit<Quote, 'lines' | 'promotions' | 'shippingMethods' | 'shippingMethod'>> & {
  lineDiscounts?: number[];
  lineTaxes?: number[];
  promotions?: Record<string, number>;
};

const FIXTURES: [string, PricingInput, Expected][] = [
  [
    '3 × 1999 at 20 %, prices exclude tax: 1199.4 rounds to 1199',
    input({ lines: [line('a', 1999, 3)], taxRates: [GB20] }),
    { subtotal: 5997, lineTaxes: [1199], taxTotal: 1199, total: 7196 },
  ],
  [
    '3 × 1999 at 20 %, prices include tax: 5997 − round(4997.5) = 999 contained',
    input({ lines: [line('a', 1999, 3)], taxRates: [GB20], config: { pricesIncludeTax: true, flatShipping: NO_SHIPPING } }),
    { subtotal: 5997, lineTaxes: [999], taxTotal: 999, total: 5997 },
  ],
  [
    '1 × 1005 at 12.5 %, exclusive: 125.625 rounds to 126',
    input({ lines: [line('a', 1005)], taxRates: [{ country: 'GB', taxClass: 'standard', rate: 1250 }] }),
    { lineTaxes: [126], total: 1131 },
  ],
  [
    '1 × 1005 at 12.5 %, inclusive: 1005 − round(893.33) = 112 contained',
    input({ lines: [line('a', 1005)], taxRates: [{ country: 'GB', taxClass: 'standard', rate: 1250 }], config: { pricesIncludeTax: true, flatShipping: NO_SHIPPING } }),
    { lineTaxes: [112], total: 1005 },
  ],
  [
    'a fixed 1000 over lines 333/333/334 takes each line whole',
    input({ lines: [line('a', 333), line('b', 333), line('c', 334)], promotions: [promo('fixed', 'fixed', 1000)] }),
    { lineDiscounts: [333, 333, 334], discountTotal: 1000, total: 0, promotions: { fixed: 1000 } },
  ],
  [
    'a fixed 100 over lines 333/333/334: 33.3/33.3/33.4, the unit left goes to the largest remainder',
    input({ lines: [line('a', 333), line('b', 333), line('c', 334)], promotions: [promo('fixed', 'fixed', 100)] }),
    { lineDiscounts: [33, 33, 34], discountTotal: 100, total: 900 },
  ],
  [
    'a fixed discount larger than the cart stops at the cart',
    input({ lines: [line('a', 400)], promotions: [promo('fixed', 'fixed', 1000)] }),
    { lineDiscounts: [400], discountTotal: 400, total: 0 },
  ],
  [
    'tax is on the line after its discount: 10 % off 1000, then 20 % of 900',
    input({ lines: [line('a', 1000)], taxRates: [GB20], promotions: [promo('ten', 'percentage', 1000)] }),
    { lineDiscounts: [100], lineTaxes: [180], total: 1080 },
  ],
  [
    'free shipping takes the method\'s price off; shipping taxed at the standard rate otherwise',
    input({ lines: [line('a', 1000)], taxRates: [GB20], shippingMethods: [method('std', 500)], promotions: [promo('ship', 'free_shipping', 0)] }),
    { shippingDiscount: 500, shippingTotal: 0, shippingTax: 0, taxTotal: 200, total: 1200, promotions: { ship: 500 } },
  ],
  [
    'shipping is taxed at the destination\'s standard rate',
    input({ lines: [line('a', 1000, 1, { taxClass: 'zero' })], taxRates: [GB20, { country: 'GB', taxClass: 'zero', rate: 0 }], shippingMethods: [method('std', 500)] }),
    { lineTaxes: [0], shippingTotal: 500, shippingTax: 100, taxTotal: 100, total: 1600 },
  ],
  [
    'two free-shipping promotions never make shipping negative',
    input({
      lines: [line('a', 1000)],
      shippingMethods: [method('std', 500)],
      promotions: [promo('ship1', 'free_shipping', 0, { combinable: true }), promo('ship2', 'free_shipping', 0, { combinable: true })],
    }),
    { shippingDiscount: 500, shippingTotal: 0, total: 1000, promotions: { ship1: 500 } },
  ],
  [
    'stacking: of 10 % (400) and 500 off, only the better non-combinable applies; a combinable 5 % adds on what is left',
    input({
      lines: [line('a', 1500), line('b', 2500)],
      promotions: [promo('ten', 'percentage', 1000), promo('five-hundred', 'fixed', 500), promo('extra', 'percentage', 500, { combinable: true })],
    }),
    { discountTotal: 675, total: 3325, promotions: { 'five-hundred': 500, extra: 175 } },
  ],
  [
    'stacking: free shipping beats 2 % off when shipping is worth more',
    input({
      lines: [line('a', 2000)],
      shippingMethods: [method('std', 800)],
      promotions: [promo('two', 'percentage', 200), promo('ship', 'free_shipping', 0)],
    }),
    { discountTotal: 0, shippingTotal: 0, total: 2000, promotions: { ship: 800 } },
  ],
  [
    'a category-scoped percentage touches only its lines',
    input({
      lines: [line('a', 1000, 1, { category: 'shoes' }), line('b', 1000, 1, { category: 'hats' })],
      promotions: [promo('shoes', 'percentage', 2500, { categorySlugs: ['shoes'] })],
    }),
    { lineDiscounts: [250, 0], total: 1750 },
  ],
  [
    'the most specific rate wins (region over country); a class without a rate falls back to standard',
    input({
      lines: [line('a', 1000), line('b', 1000, 1, { taxClass: 'books' })],
      destination: { country: 'US', region: 'ca' },
      taxRates: [
        { country: 'US', taxClass: 'standard', rate: 500 },
        { country: 'US', region: 'CA', taxClass: 'standard', rate: 725 },
        { country: 'US', taxClass: 'books', rate: 0 },
      ],
    }),
    { lineTaxes: [73, 0], total: 2073 },
  ],
  [
    'methods: freeFrom compares the subtotal after discounts (10 % off 5000 → shipping charged); a tie in total still applies the code',
    input({
      lines: [line('a', 5000)],
      shippingMethods: [method('std', 500, { freeFrom: 5000 })],
      promotions: [promo('ten', 'percentage', 1000, { code: 'TEN' })],
      codes: ['ten'],
    }),
    { discountTotal: 500, shippingTotal: 500, total: 5000 },
  ],
  [
    'no method defined: the flat rate, free from its threshold',
    input({ lines: [line('a', 4000)], config: { pricesIncludeTax: false, flatShipping: { rate: 499, freeFrom: 5000 } } }),
    { shippingTotal: 499, total: 4499 },
  ],
];

describe('priceCart: worked fixtures', () => {
  it.each(FIXTURES)('%s', (_name, given, expected) => {
    const quote = priceCart(given);
    const { lineDiscounts, lineTaxes, promotions, ...totals } = expected;
    expect(quote).toMatchObject(totals);
    if (lineDiscounts) expect(quote.lines.map((l) => l.discount)).toEqual(lineDiscounts);
    if (lineTaxes) expect(quote.lines.map((l) => l.tax)).toEqual(lineTaxes);
    if (promotions) expect(Object.fromEntries(quote.promotions.map((p) => [p.id, p.discount]))).toEqual(promotions);
    expectInvariants(given, quote);
  });
});

describe('priceCart: shipping methods', () => {
  const lines = [line('a', 3000)];
  const methods = [
    method('express', 1500),
    method('standard', 500, { countries: ['GB', 'FR'] }),
    method('bulky', 300, { minSubtotal: 10_000 }),
    method('us-only', 100, { countries: ['US'] }),
    method('paused', 50, { active: false }),
  ];

  it('lists the eligible methods and charges the cheapest by default', () => {
    const quote = priceCart(input({ lines, shippingMethods: methods }));
    expect(quote.shippingMethods.map((m) => m.id)).toEqual(['standard', 'express']);
    expect(quote.shippingMethod).toEqual({ id: 'standard', name: 'standard', price: 500 });
  });

  it('charges the method asked for; an ineligible one is refused', () => {
    expect(priceCart(input({ lines, shippingMethods: methods, shippingMethodId: 'express' })).shippingTotal).toBe(1500);
    expect(() => priceCart(input({ lines, shippingMethods: methods, shippingMethodId: 'us-only' }))).toThrow(IneligibleShippingMethodError);
    expect(() => priceCart(input({ lines, shippingMethods: methods, shippingMethodId: 'paused' }))).toThrow(IneligibleShippingMethodError);
  });

  it('says so when methods exist but none fits the destination', () => {
    const quote = priceCart(input({ lines, shippingMethods: methods, destination: { country: 'JP' } }));
    expect(quote.shippingMethods.map((m) => m.id)).toEqual(['express']);
    const none = priceCart(input({ lines, shippingMethods: methods.slice(1), destination: { country: 'JP' } }));
    expect(none).toMatchObject({ noEligibleShipping: true, shippingMethods: [], shippingMethod: null });
  });

  it('a discount taking the cart below maxSubtotal makes a method eligible, below minSubtotal ineligible', () => {
    const capped = [method('small', 200, { maxSubtotal: 2700 }), method('big', 900, { minSubtotal: 2800 })];
    expect(priceCart(input({ lines, shippingMethods: capped })).shippingMethod?.id).toBe('big');
    const discounted = priceCart(input({ lines, shippingMethods: capped, promotions: [promo('p', 'percentage', 1000)] }));
    expect(discounted.shippingMethod?.id).toBe('small');
  });
});

describe('promotionRefusal', () => {
  const lines = [line('a', 1000, 1, { category: 'shoes' })];
  it.each<[string, Partial<PromotionRule>, string | null]>([
    ['eligible', {}, null],
    ['inactive', { active: false }, 'inactive'],
    ['not started', { startsAt: new Date('2026-07-01') }, 'not_started'],
    ['expired', { endsAt: NOW }, 'expired'],
    ['used up', { usedUp: true }, 'used_up'],
    ['below its minimum subtotal', { minSubtotal: 1001 }, 'min_subtotal'],
    ['no line in its scope', { categorySlugs: ['hats'] }, 'no_eligible_lines'],
  ])('%s', (_name, extra, reason) => {
    expect(promotionRefusal(promo('p', 'percentage', 1000, extra), lines, NOW)).toBe(reason);
  });

  it('a code not entered does not apply; codes compare case-insensitively', () => {
    const coded = promo('p', 'fixed', 100, { code: 'Spring10' });
    expect(priceCart(input({ lines, promotions: [coded] })).discountTotal).toBe(0);
    expect(priceCart(input({ lines, promotions: [coded], codes: [' SPRING10 '] })).discountTotal).toBe(100);
  });
});

/** What every quote satisfies, whatever the cart. */
function expectInvariants(given: PricingInput, quote: Quote): void {
  expect(quote.subtotal).toBe(quote.lines.reduce((total, l) => total + l.lineTotal, 0));
  expect(quote.discountTotal).toBe(quote.lines.reduce((total, l) => total + l.discount, 0));
  for (const promotion of quote.promotions) {
    expect(promotion.lineShares.reduce((total, share) => total + share, 0) + promotion.shippingDiscount).toBe(promotion.discount);
  }
  quote.lines.forEach((l, index) => {
    expect(l.discount).toBe(quote.promotions.reduce((total, p) => total + p.lineShares[index], 0));
    expect(l.discount).toBeLessThanOrEqual(l.lineTotal);
    expect(l.lineTotal).toBe(l.unitPrice * l.quantity);
  });
  expect(quote.shippingDiscount).toBe(quote.promotions.reduce((total, p) => total + p.shippingDiscount, 0));
  expect(quote.taxTotal).toBe(quote.lines.reduce((total, l) => total + l.tax, 0) + quote.shippingTax);
  const identity = quote.subtotal - quote.discountTotal + quote.shippingTotal + (given.config.pricesIncludeTax ? 0 : quote.taxTotal);
  expect(quote.total).toBe(identity);
  for (const amount of [quote.subtotal, quote.discountTotal, quote.shippingDiscount, quote.shippingTotal, quote.shippingTax, quote.taxTotal, quote.total]) {
    expect(Number.isSafeInteger(amount) && amount >= 0).toBe(true);
  }
  for (const l of quote.lines) expect([l.discount, l.tax].every((amount) => Number.isSafeInteger(amount) && amount >= 0)).toBe(true);
  if (given.config.pricesIncludeTax) {
    // Tax contained in an amount never exceeds it.
    quote.lines.forEach((l) => expect(l.tax).toBeLessThanOrEqual(l.lineTotal - l.discount));
  }
}

describe('priceCart: properties over random carts', () => {
  const products = ['p1', 'p2', 'p3', 'p4', 'p5'];
  const categories = ['shoes', 'hats', 'books'];
  const lineArb = fc.record({
    productId: fc.constantFrom(...products),
    category: fc.constantFrom(...categories),
    taxClass: fc.constantFrom('standard', 'reduced', 'unknown'),
    unitPrice: fc.integer({ min: 0, max: 1_000_000 }),
    quantity: fc.integer({ min: 1, max: 999 }),
  });
  const promotionArb = fc.record(
    {
      id: fc.string({ minLength: 1, maxLength: 4 }),
      name: fc.constant('promo'),
      type: fc.constantFrom('percentage', 'fixed', 'free_shipping' as const),
      value: fc.integer({ min: 0, max: 10_000_000 }),
      productIds: fc.option(fc.subarray(products), { nil: undefined }),
      categorySlugs: fc.option(fc.subarray(categories), { nil: undefined }),
      minSubtotal: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
      combinable: fc.boolean(),
      active: fc.constant(true),
    },
    { requiredKeys: ['id', 'name', 'type', 'value', 'combinable', 'active'] },
  ).map((p): PromotionRule => ({ ...p, value: p.type === 'percentage' ? p.value % 10_001 : p.value }));
  const rateArb = fc.integer({ min: 0, max: 9_999 });
  const inputArb = fc.record({
    lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
    promotions: fc.array(promotionArb, { maxLength: 5 }),
    standardRate: rateArb,
    reducedRate: rateArb,
    methods: fc.array(
      fc.record({ price: fc.integer({ min: 0, max: 10_000 }), freeFrom: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }) }),
      { maxLength: 3 },
    ),
    pricesIncludeTax: fc.boolean(),
  });

  it('shares add up to each discount, no line discount exceeds its line, nothing negative, the total identity holds', () => {
    fc.assert(
      fc.property(inputArb, (random) => {
        const given = input({
          lines: random.lines,
          promotions: random.promotions,
          taxRates: [
            { country: 'GB', taxClass: 'standard', rate: random.standardRate },
            { country: 'GB', taxClass: 'reduced', rate: random.reducedRate },
          ],
          shippingMethods: random.methods.map((m, index) => method(`m${index}`, m.price, { freeFrom: m.freeFrom })),
          config: { pricesIncludeTax: random.pricesIncludeTax, flatShipping: { rate: 499, freeFrom: 5000 } },
        });
        expectInvariants(given, priceCart(given));
      }),
      { numRuns: 500 },
    );
  });

  it('the best non-combinable promotion is never worse for the customer than any other one alone', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 5 }), fc.array(promotionArb, { minLength: 1, maxLength: 4 }), (lines, promotions) => {
        const exclusive = promotions.map((p, index) => ({ ...p, id: `x${index}`, combinable: false }));
        const best = priceCart(input({ lines, promotions: exclusive }));
        expect(best.promotions.length).toBeLessThanOrEqual(1);
        for (const promotion of exclusive) expect(best.total).toBeLessThanOrEqual(priceCart(input({ lines, promotions: [promotion] })).total);
      }),
      { numRuns: 300 },
    );
  });
});
