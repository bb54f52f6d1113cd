import { normalizedTarget } from '../products/catalog-cache';
import { queryWords, searchFilter } from './search-query';
import { ProductSearchQueryDto } from './dto/product-search.dto';

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

describe('normalizedTarget', () => {
  it('orders parameters by name and keeps the order of repeated ones', () => {
    expect(normalizedTarget('/api/v1/products?q=a%20b&limit=5&brand=x&brand=y')).toBe('/api/v1/products?brand=x&brand=y&limit=5&q=a%20b');
    expect(normalizedTarget('/api/v1/products?limit=5&q=a%20b')).toBe(normalizedTarget('/api/v1/products?q=a%20b&limit=5'));
    expect(normalizedTarget('/api/v1/categories')).toBe('/api/v1/categories?');
  });
});
