import { type LiveFigures, ratingAverageOf } from './products.store';

/*
 * Stock is not content (ARCHITECTURE.md): a cached catalog answer is kept while only stock
 * figures or ratings change, and these fields of its products are laid over it, read exactly
 * from MongoDB in one query for the answer's products. Products with variants carry a `stock`
 * per variant (by `_id` in the document, `id` in the answer); products without have none.
 * ProductStore.liveFigures reads them.
 */

/** A product as it appears in a catalog answer (ProductResponseDto), only the fields touched here. */
interface ShownProduct {
  id: string;
  stock: number;
  inStock?: boolean;
  ratingAverage?: number;
  ratingCount?: number;
  /** A Date in a computed answer, its JSON text (ISO 8601) in a stored or refreshed one. */
  updatedAt?: string | Date;
  variants?: { id: string; stock: number; inStock?: boolean }[];
}

/** The products an answer shows: a list's items, or the one product of a product read; none for other answers. */
export function shownProducts(body: unknown): ShownProduct[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  const items = (body as { items?: unknown }).items;
  if (Array.isArray(items)) return items as ShownProduct[];
  const product = body as Partial<ShownProduct>;
  return typeof product.id === 'string' && typeof product.stock === 'number' ? [product as ShownProduct] : [];
}

/**
 * Sets the live figures on the products of `body` (in place), only on those in `only` when given
 * (the others' are live already). False when a product or variant to set is not among them: the
 * answer cannot be brought up to date and is computed again.
 */
export function applyFigures(body: unknown, figures: LiveFigures[], only?: ReadonlySet<string>): boolean {
  const byId = new Map(figures.map((product) => [product._id.toHexString(), product]));
  for (const shown of shownProducts(body)) {
    if (only && !only.has(shown.id)) continue;
    const live = byId.get(shown.id);
    if (!live) return false;
    shown.stock = Math.max(0, live.stock);
    if ('inStock' in shown) shown.inStock = shown.stock > 0;
    if ('ratingCount' in shown) shown.ratingCount = live.ratingCount ?? 0;
    // Derived from the exact sum and count, as toProductResponse does.
    if ('ratingAverage' in shown) shown.ratingAverage = ratingAverageOf(live.ratingSum ?? 0, live.ratingCount ?? 0);
    if ('updatedAt' in shown) shown.updatedAt = live.updatedAt.toISOString();
    if (shown.variants) {
      const variants = new Map((live.variants ?? []).map((variant) => [variant._id.toHexString(), variant]));
      for (const variant of shown.variants) {
        const liveVariant = variants.get(variant.id);
        if (!liveVariant) return false;
        variant.stock = Math.max(0, liveVariant.stock);
        if ('inStock' in variant) variant.inStock = variant.stock > 0;
      }
    }
  }
  return true;
}

/**
 * The figures an answer shows, as text: part of its ETag, so the tag changes whenever they do.
 * The same for an answer as computed and as read back from its JSON (another process's copy in
 * Redis): `updatedAt` as sent, to the millisecond, not as a Date prints itself (to the second).
 */
export function figuresDigest(body: unknown): string {
  // As JSON text: what the answer sends, so a Date, NaN or a missing figure digests as its copy would.
  return JSON.stringify(
    shownProducts(body).map((shown) => [shown.id, shown.stock, shown.ratingAverage, shown.ratingCount, shown.updatedAt, ...(shown.variants ?? []).map((variant) => variant.stock)]),
  );
}
