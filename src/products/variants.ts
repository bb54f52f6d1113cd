import { InvalidInputError, StateConflictError } from '@app/common';
import type { PriceRange, ProductOption, ProductVariant } from './schemas/product.schema';

/** Shopify's limits, which peers share: enough for sizes × colours × materials. */
export const MAX_OPTIONS = 3;
export const MAX_OPTION_VALUES = 50;

/** The store-wide identity of a sku: trimmed and lower-cased (the stand-in ignores collations). */
export function skuKeyOf(sku: string): string {
  return sku.trim().toLowerCase();
}

/** The product fields derived from its variants, written in the same update as the variants. */
export interface VariantSummary {
  price: number;
  priceRange: PriceRange;
  stock: number;
  stockOnHand: number;
  stockAllocated: number;
}

type Priced = Pick<ProductVariant, 'price' | 'status'>;
type Counted = Pick<ProductVariant, 'status' | 'stock' | 'stockOnHand' | 'stockAllocated'>;

/**
 * Price and price range of the active variants. A product whose variants are all archived keeps
 * `fallback` (its last price): it is sold nowhere, and search still needs a number to sort by.
 */
export function priceSummaryOf(variants: Priced[], fallback: PriceRange): Pick<VariantSummary, 'price' | 'priceRange'> {
  const prices = variants.filter((variant) => variant.status === 'active').map((variant) => variant.price);
  if (prices.length === 0) return { price: fallback.min, priceRange: fallback };
  const range = { min: Math.min(...prices), max: Math.max(...prices) };
  return { price: range.min, priceRange: range };
}

/** Sellable units of the active variants; on hand and allocated of all (archived ones may still hold orders). */
export function stockSummaryOf(variants: Counted[]): Pick<VariantSummary, 'stock' | 'stockOnHand' | 'stockAllocated'> {
  return variants.reduce(
    (sum, variant) => ({
      stock: sum.stock + (variant.status === 'active' ? Math.max(0, variant.stock) : 0),
      stockOnHand: sum.stockOnHand + variant.stockOnHand,
      stockAllocated: sum.stockAllocated + variant.stockAllocated,
    }),
    { stock: 0, stockOnHand: 0, stockAllocated: 0 },
  );
}

/** One string per combination of option values, independent of key order. */
export function combinationOf(options: Record<string, string>): string {
  return JSON.stringify(Object.keys(options).sort().map((name) => [name, options[name]]));
}

/** Option names unique (case-insensitively), values unique within an option; else 400. */
export function assertOptionsWellFormed(options: ProductOption[]): void {
  const names = options.map((option) => option.name.trim().toLowerCase());
  if (new Set(names).size !== names.length) throw new InvalidInputError('Option names must be different from each other');
  for (const option of options) {
    const values = option.values.map((value) => value.trim().toLowerCase());
    if (new Set(values).size !== values.length) throw new InvalidInputError(`Option "${option.name}" lists a value twice`);
  }
}

/** A variant names exactly the product's options, each with a value the product declares; else 400. */
export function assertVariantOptions(declared: ProductOption[], options: Record<string, string>): void {
  const given = Object.keys(options);
  for (const name of given) {
    const option = declared.find((candidate) => candidate.name === name);
    if (!option) throw new InvalidInputError(`The product has no option "${name}"`);
    if (!option.values.includes(options[name])) {
      throw new InvalidInputError(`"${options[name]}" is not a declared value of option "${name}" (${option.values.join(', ')})`);
    }
  }
  const missing = declared.filter((option) => !given.includes(option.name)).map((option) => option.name);
  if (missing.length > 0) throw new InvalidInputError(`A variant needs a value for every option of the product: missing ${missing.join(', ')}`);
}

/** Two variants of one product with the same option values, or the same sku (case-insensitively) → 409. */
export function assertDistinctVariants(variants: { _id?: unknown; sku: string; options: Record<string, string> }[]): void {
  const combinations = new Set<string>();
  const skus = new Set<string>();
  for (const variant of variants) {
    const combination = combinationOf(variant.options ?? {});
    if (combinations.has(combination)) throw new DuplicateVariantError(`Two variants with the same option values ${describeOptions(variant.options)}`);
    combinations.add(combination);
    const sku = skuKeyOf(variant.sku);
    if (skus.has(sku)) throw new SkuTakenError(variant.sku);
    skus.add(sku);
  }
}

/** `Size: M, Color: Red`, or '' for the default variant. */
export function describeOptions(options: Record<string, string> | undefined): string {
  return Object.entries(options ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join(', ');
}

export class DuplicateVariantError extends StateConflictError {}

/** The sku is already used by a variant in the store (compared case-insensitively). */
export class SkuTakenError extends StateConflictError {
  constructor(sku: string) {
    super(`The sku "${sku}" is already taken`, { sku });
  }
}

/** A product-level price or stock write on a product with several variants: they have their own routes. */
export class SeveralVariantsError extends StateConflictError {
  constructor(productId: string, what: string) {
    super(`This product has several variants: change ${what} per variant through /admin/products/${productId}/variants/:variantId`, {
      variantsRoute: `/api/v1/admin/products/${productId}/variants/:variantId`,
    });
  }
}
