import { InvalidInputError } from '@app/common';
import {
  assertDistinctVariants,
  assertOptionsWellFormed,
  assertVariantOptions,
  combinationOf,
  DuplicateVariantError,
  priceSummaryOf,
  SkuTakenError,
  skuKeyOf,
  stockSummaryOf,
} from './variants';

describe('variants: derived product fields and the rules of options', () => {
  const options = [
    { name: 'Size', values: ['S', 'M'] },
    { name: 'Color', values: ['Red', 'Blue'] },
  ];

  it('derives price and range from the active variants only, keeping the last range when none is active', () => {
    const variants = [
      { price: 2500, status: 'active' as const },
      { price: 900, status: 'archived' as const },
      { price: 3100, status: 'active' as const },
    ];
    expect(priceSummaryOf(variants, { min: 1, max: 1 })).toEqual({ price: 2500, priceRange: { min: 2500, max: 3100 } });
    expect(priceSummaryOf([{ price: 900, status: 'archived' }], { min: 700, max: 800 })).toEqual({ price: 700, priceRange: { min: 700, max: 800 } });
  });

  it('sums sellable stock of active variants, on hand and allocated of all', () => {
    expect(
      stockSummaryOf([
        { status: 'active', stock: 3, stockOnHand: 5, stockAllocated: 2 },
        { status: 'archived', stock: 4, stockOnHand: 4, stockAllocated: 0 },
        { status: 'active', stock: -1, stockOnHand: 0, stockAllocated: 1 },
      ]),
    ).toEqual({ stock: 3, stockOnHand: 9, stockAllocated: 3 });
  });

  it('normalizes skus and combinations', () => {
    expect(skuKeyOf('  TS-Red-M ')).toBe('ts-red-m');
    expect(combinationOf({ Size: 'M', Color: 'Red' })).toBe(combinationOf({ Color: 'Red', Size: 'M' }));
    expect(combinationOf({ Size: 'M', Color: 'Red' })).not.toBe(combinationOf({ Size: 'M', Color: 'Blue' }));
  });

  it('accepts a variant naming every option with a declared value, and refuses anything else with 400', () => {
    expect(() => assertVariantOptions(options, { Size: 'M', Color: 'Red' })).not.toThrow();
    expect(() => assertVariantOptions([], {})).not.toThrow();
    const wrong: Record<string, string>[] = [{ Size: 'XL', Color: 'Red' }, { Size: 'M' }, { Size: 'M', Color: 'Red', Fit: 'Slim' }, { size: 'M', Color: 'Red' }];
    for (const bad of wrong) {
      expect(() => assertVariantOptions(options, bad)).toThrow(InvalidInputError);
    }
    expect(() => assertOptionsWellFormed([{ name: 'Size', values: ['S'] }, { name: 'size', values: ['M'] }])).toThrow(InvalidInputError);
    expect(() => assertOptionsWellFormed([{ name: 'Size', values: ['S', 's'] }])).toThrow(InvalidInputError);
  });

  it('refuses two variants of one combination, or one sku twice in any case, with 409', () => {
    expect(() =>
      assertDistinctVariants([
        { sku: 'a', options: { Size: 'M', Color: 'Red' } },
        { sku: 'b', options: { Color: 'Red', Size: 'M' } },
      ]),
    ).toThrow(DuplicateVariantError);
    expect(() =>
      assertDistinctVariants([
        { sku: 'TS-1', options: { Size: 'M', Color: 'Red' } },
        { sku: 'ts-1 ', options: { Size: 'S', Color: 'Red' } },
      ]),
    ).toThrow(SkuTakenError);
    expect(() =>
      assertDistinctVariants([
        { sku: 'TS-1', options: { Size: 'M', Color: 'Red' } },
        { sku: 'TS-2', options: { Size: 'S', Color: 'Red' } },
      ]),
    ).not.toThrow();
  });
});
