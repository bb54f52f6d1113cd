import { Types } from 'mongoose';
import { applyFigures, figuresDigest } from './catalog-figures';
import type { LiveFigures } from './products.store';

describe('applyFigures', () => {
  const id = new Types.ObjectId();
  const variantId = new Types.ObjectId();
  const updatedAt = new Date('2026-01-02T03:04:05.000Z');
  const live = (fields: Partial<LiveFigures> = {}): LiveFigures => ({ _id: id, stock: 3, ratingSum: 9, ratingCount: 2, updatedAt, ...fields });
  const shown = () => ({ id: id.toHexString(), title: 'T', stock: 7, ratingAverage: 0, ratingCount: 0, updatedAt: 'old' });

  it('sets stock, ratings and updatedAt on a list and on one product, and leaves other fields alone', () => {
    const list = { items: [shown()], total: 1 };
    expect(applyFigures(list, [live()])).toBe(true);
    expect(list).toEqual({ items: [{ id: id.toHexString(), title: 'T', stock: 3, ratingAverage: 4.5, ratingCount: 2, updatedAt: updatedAt.toISOString() }], total: 1 });
    const product = shown();
    expect(applyFigures(product, [live({ stock: -1 })])).toBe(true);
    expect(product.stock).toBe(0);
  });

  it('sets the stock of each variant and inStock where the answer shows it', () => {
    const product = { ...shown(), inStock: true, variants: [{ id: variantId.toHexString(), stock: 5, inStock: true }] };
    expect(applyFigures(product, [live({ stock: 0, variants: [{ _id: variantId, stock: 0 }] })])).toBe(true);
    expect(product).toMatchObject({ stock: 0, inStock: false, variants: [{ stock: 0, inStock: false }] });
  });

  it('refuses when a product or variant shown is not among the figures', () => {
    expect(applyFigures({ items: [shown()] }, [])).toBe(false);
    expect(applyFigures({ ...shown(), variants: [{ id: variantId.toHexString(), stock: 1 }] }, [live()])).toBe(false);
  });

  it('with `only`, sets the figures of those products alone and needs only theirs', () => {
    const other = new Types.ObjectId().toHexString();
    const list = { items: [shown(), { ...shown(), id: other }] };
    expect(applyFigures(list, [live()], new Set([id.toHexString()]))).toBe(true);
    expect(list.items.map((item) => item.stock)).toEqual([3, 7]);
    expect(list.items[1].updatedAt).toBe('old');
    expect(applyFigures({ items: [shown(), { ...shown(), id: other }] }, [live()], new Set([other]))).toBe(false);
  });

  it('digests the figures shown, nothing for answers without products', () => {
    const before = figuresDigest({ items: [shown()] });
    const list = { items: [shown()] };
    applyFigures(list, [live()]);
    expect(figuresDigest(list)).not.toBe(before);
    expect(figuresDigest([{ id: 'c', name: 'Audio', slug: 'audio' }])).toBe(figuresDigest({}));
  });

  it('digests an answer as computed (dates) and as read back from its JSON alike, to the millisecond', () => {
    const computed = { items: [{ ...shown(), updatedAt: new Date('2026-01-02T03:04:05.123Z') }] };
    const readBack: unknown = JSON.parse(JSON.stringify(computed));
    expect(figuresDigest(computed)).toBe(figuresDigest(readBack));
    const aMillisecondLater = { items: [{ ...shown(), updatedAt: new Date('2026-01-02T03:04:05.124Z') }] };
    expect(figuresDigest(aMillisecondLater)).not.toBe(figuresDigest(computed));
  });
});
