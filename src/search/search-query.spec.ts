import { normalizedTarget } from '../products/catalog-cache';
import { queryWords, searchFilter, searchPipeline, variantConditions } from './search-query';
import { optionFiltersProblem, ProductSearchQueryDto } from './dto/product-search.dto';
import { foldOptionFilters } from './option-filters.middleware';

describe('queryWords', () => {
  it('folds the query and keeps the last word as a prefix', () => {
    expect(queryWords('  Wireless HEAD')).toEqual({ whole: ['wireless'], prefix: 'head' });
    expect(queryWords('Café')).toEqual({ whole: [], prefix: 'cafe' });
  });

  it('drops repeated words and punctuation', () => {
    expect(queryWords('tea, tea!')).toEqual({ whole: [], prefix: 'tea' });
    expect(queryWords('-- !!')).toEqual({ whole: [], prefix: undefined });
    expect(queryWords(undefined)).toEqual({ whole: [], prefix: undefined });
  });
});

describe('searchFilter', () => {
  const query = (fields: Partial<ProductSearchQueryDto>) => Object.assign(new ProductSearchQueryDto(), fields);

  it('refuses a price range upside down', () => {
    expect(() => searchFilter(query({ minPrice: 500, maxPrice: 100 }), queryWords(''))).toThrow('maxPrice must not be below minPrice');
  });

  it('anchors the prefix and escapes it', () => {
    expect(JSON.stringify(searchFilter(query({}), { whole: [], prefix: 'a.b' }))).toContain('"$regex":"^a\\\\.b"');
  });
});

describe('variant conditions', () => {
  const query = (fields: Partial<ProductSearchQueryDto>) => Object.assign(new ProductSearchQueryDto(), fields);

  it('asks nothing of variants without option, price or stock filters', () => {
    expect(variantConditions(query({ q: 'shirt', brand: 'Acme' }))).toBeNull();
    expect(JSON.stringify(searchFilter(query({ brand: 'Acme' }), queryWords('')))).not.toContain('$elemMatch');
  });

  it('puts options, price range and stock on ONE variant, names in order', () => {
    const conditions = { status: 'active', 'options.Color': 'Red', 'options.Size': 'M', price: { $gte: 100, $lte: 900 }, stock: { $gt: 0 } };
    const asked = query({ option: { Size: 'M', Color: 'Red' }, minPrice: 100, maxPrice: 900, inStock: true });
    expect(variantConditions(asked)).toEqual(conditions);
    expect(Object.keys(variantConditions(asked)!)).toEqual(Object.keys(conditions));
    expect(searchFilter(asked, queryWords('')).$and).toContainEqual({ variants: { $elemMatch: conditions } });
  });

  it('applies price and stock to the variant even without option filters', () => {
    expect(searchFilter(query({ minPrice: 500, inStock: true }), queryWords('')).$and).toContainEqual({
      variants: { $elemMatch: { status: 'active', price: { $gte: 500 }, stock: { $gt: 0 } } },
    });
    // The same filters in another order are the same filter (one counts cache entry).
    const a = searchFilter(query({ option: { Size: 'M', Color: 'Red' } }), queryWords(''));
    const b = searchFilter(query({ option: { Color: 'Red', Size: 'M' } }), queryWords(''));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('counts option values over the variants that meet the same conditions, inside the one $facet stage', () => {
    const pipeline = searchPipeline(query({ option: { Size: 'M' }, inStock: true, page: 1, limit: 20 }), queryWords(''), {});
    expect(pipeline).toHaveLength(2);
    const facet = (pipeline[1] as unknown as { $facet: Record<string, Record<string, unknown>[]> }).$facet;
    expect(Object.keys(facet)).toEqual(['items', 'total', 'brands', 'categories', 'options']);
    expect(facet.options[2]).toEqual({ $match: { 'variants.status': 'active', 'variants.options.Size': 'M', 'variants.stock': { $gt: 0 } } });
    const plain = (searchPipeline(query({ page: 1, limit: 20 }), queryWords(''), {})[1] as unknown as { $facet: Record<string, Record<string, unknown>[]> }).$facet;
    expect(plain.options[2]).toEqual({ $match: { 'variants.status': 'active' } });
  });
});

describe('option filters in the query string', () => {
  it('folds option.<Name> and option[<Name>] into one object and leaves the rest', () => {
    expect(foldOptionFilters({ 'option.Size': 'M', 'option[Color]': 'Dark Red', q: 'shirt' })).toEqual({ q: 'shirt', option: { Size: 'M', Color: 'Dark Red' } });
    const untouched = { q: 'shirt', brand: 'Acme' };
    expect(foldOptionFilters(untouched)).toBe(untouched);
    expect(foldOptionFilters({ 'option.a.b': 'x' })).toEqual({ option: { 'a.b': 'x' } });
  });

  it('keeps every value of a name given twice, so that validation refuses it', () => {
    expect(foldOptionFilters({ 'option.Size': ['M', 'L'] })).toEqual({ option: { Size: ['M', 'L'] } });
    expect(foldOptionFilters({ 'option.Size': 'M', 'option[Size]': 'L' })).toEqual({ option: { Size: ['M', 'L'] } });
    expect(optionFiltersProblem({ Size: ['M', 'L'] })).toBe('option.Size is given more than once');
  });

  it('accepts up to 3 names and values of 1–40 characters; names hold no "." and start with no "$"', () => {
    expect(optionFiltersProblem({ Size: 'M', Color: 'Red', Fit: 'Slim' })).toBeNull();
    expect(optionFiltersProblem({ Größe: 'x'.repeat(40) })).toBeNull();
    for (const bad of [{ a: '1', b: '2', c: '3', d: '4' }, { '': 'M' }, { 'a.b': 'M' }, { $where: 'M' }, { 'a\0': 'M' }, { Size: '' }, { Size: 'x'.repeat(41) }, { ['n'.repeat(41)]: 'M' }, 'M', ['M'], null]) {
      expect(optionFiltersProblem(bad)).not.toBeNull();
    }
  });
});

describe('normalizedTarget', () => {
  it('keeps option filters in the key: different filters never share one, the same in another order do', () => {
    const key = (query: string) => normalizedTarget(`/api/v1/products?${query}`);
    expect(key('option.Size=M&option.Color=Red')).toBe(key('option.Color=Red&option.Size=M'));
    expect(key('option.Size=M&option.Color=Red')).not.toBe(key('option.Size=M&option.Color=Blue'));
    expect(key('option.Size=M&option.Color=Red')).not.toBe(key('option.Size=M'));
    expect(key('option.Size=M')).not.toBe(key('option.Color=M'));
    expect(key('option.Size=M&inStock=true')).not.toBe(key('option.Size=M'));
  });

  it('orders parameters by name and keeps the order of repeated ones', () => {
    expect(normalizedTarget('/api/v1/products?q=a%20b&limit=5&brand=x&brand=y')).toBe('/api/v1/products?brand=x&brand=y&limit=5&q=a%20b');
    expect(normalizedTarget('/api/v1/products?limit=5&q=a%20b')).toBe(normalizedTarget('/api/v1/products?q=a%20b&limit=5'));
    expect(normalizedTarget('/api/v1/categories')).toBe('/api/v1/categories?');
  });
});
