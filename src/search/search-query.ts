import type { PipelineStage } from 'mongoose';
import { InvalidInputError } from '@app/common';
import { IN_STOCK, type ProductFilter } from '../products/products.store';
import type { ProductSearchQueryDto, SearchSort } from './dto/product-search.dto';
import { tokenize } from '../products/tokenize';

/** The words of a query: every one must match a product token, the last one as a prefix. */
export interface QueryWords {
  whole: string[];
  prefix?: string;
}

export function queryWords(q: string | undefined): QueryWords {
  const words = [...new Set(tokenize(q ?? ''))];
  const prefix = words.pop();
  // A word that is also the prefix adds nothing: "tea tea" is "tea".
  return { whole: words.filter((word) => word !== prefix), prefix };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What one variant must satisfy at once for its product to match (API.md, Variants): active, all
 * the option values asked for, the price range, in stock. Null when the query asks nothing of
 * variants. Field names relative to the variant, as `$elemMatch` and the option facet use them.
 */
export function variantConditions(query: ProductSearchQueryDto): Record<string, unknown> | null {
  // In name order: the same filters make the same filter (and the same counts cache key).
  const options = Object.entries(query.option ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const priced = query.minPrice !== undefined || query.maxPrice !== undefined;
  if (options.length === 0 && !priced && !query.inStock) return null;
  const conditions: Record<string, unknown> = { status: 'active' };
  // Names are validated (no '.', no leading '$': OPTION_NAME_PATTERN), so each is one path segment.
  for (const [name, value] of options) conditions[`options.${name}`] = value;
  if (priced) conditions.price = { ...(query.minPrice !== undefined && { $gte: query.minPrice }), ...(query.maxPrice !== undefined && { $lte: query.maxPrice }) };
  if (query.inStock) conditions.stock = { $gt: 0 };
  return conditions;
}

/**
 * The same conditions as variantConditions, as an aggregation expression on the variant `$$v`:
 * for ordering by the price of the variants that match.
 */
function variantMatchExpression(conditions: Record<string, unknown>): Record<string, unknown> {
  const terms: unknown[] = [];
  for (const [field, condition] of Object.entries(conditions)) {
    const path = `$$v.${field}`;
    if (condition !== null && typeof condition === 'object') {
      for (const [operator, operand] of Object.entries(condition)) terms.push({ [operator]: [path, operand] });
    } else {
      terms.push({ $eq: [path, condition] });
    }
  }
  return { $and: terms };
}

/**
 * Only active products; every filter of the query, ANDed. Option values, price range and stock
 * are conditions on ONE variant (`$elemMatch`): a product whose M is blue and whose red is S is
 * no M-Red, and one whose only in-stock variant costs too much is not in stock at that price.
 */
export function searchFilter(query: ProductSearchQueryDto, words: QueryWords): ProductFilter {
  if (query.minPrice !== undefined && query.maxPrice !== undefined && query.maxPrice < query.minPrice) {
    throw new InvalidInputError('maxPrice must not be below minPrice');
  }
  const and: ProductFilter[] = [{ status: 'active' }];
  if (words.whole.length > 0) and.push({ searchTokens: { $all: words.whole } });
  if (words.prefix) and.push({ searchTokens: { $regex: `^${escapeRegex(words.prefix)}` } });
  if (query.category) and.push({ category: query.category });
  if (query.brand) and.push({ brand: query.brand });
  // Implied by the variant conditions (the product's price is its lowest active one, its stock
  // their sum), and on indexed or top-level fields: a server can narrow with them first.
  if (query.maxPrice !== undefined) and.push({ price: { $lte: query.maxPrice } });
  if (query.inStock) and.push(IN_STOCK);
  const variant = variantConditions(query);
  if (variant) and.push({ variants: { $elemMatch: variant } });
  return { $and: and };
}

export const SCORE_FIELD = '_score';
/** The lowest price among the variants that meet the query's variant conditions (price sorts with them). */
const MATCH_PRICE_FIELD = '_matchPrice';

/**
 * How many query words the title holds (the prefix counts when a title word starts with it):
 * title matches rank above matches only in brand, category or tags.
 */
function titleScore(words: QueryWords): Record<string, unknown> {
  const titleTokens = { $ifNull: ['$titleTokens', []] };
  const terms: unknown[] = words.whole.map((word) => ({ $cond: [{ $in: [word, titleTokens] }, 1, 0] }));
  if (words.prefix) {
    const length = [...words.prefix].length;
    const startsWithPrefix = { $eq: [{ $substrCP: ['$$token', 0, length] }, words.prefix] };
    terms.push({ $cond: [{ $gt: [{ $size: { $filter: { input: titleTokens, as: 'token', cond: startsWithPrefix } } }, 0] }, 1, 0] });
  }
  return { $add: [0, ...terms] };
}

/** Every order ends on `_id`, so equal keys keep one order and pages never repeat or skip. */
const SORTS: Record<SearchSort, Record<string, 1 | -1>> = {
  relevance: { [SCORE_FIELD]: -1, ratingCount: -1, _id: 1 },
  newest: { createdAt: -1, _id: -1 },
  price_asc: { price: 1, _id: 1 },
  price_desc: { price: -1, _id: 1 },
  rating: { ratingAverage: -1, ratingCount: -1, _id: 1 },
};

export function effectiveSort(query: ProductSearchQueryDto, words: QueryWords): SearchSort {
  return query.sort ?? (words.prefix ? 'relevance' : 'newest');
}

/** Counts per value, most frequent first, ties by value. */
function facet(field: string): PipelineStage.FacetPipelineStage[] {
  return [{ $group: { _id: `$${field}`, count: { $sum: 1 } } }, { $sort: { count: -1, _id: 1 } }];
}

/**
 * Per option name, per value: how many products of the filtered set have a variant with it that
 * meets the query's variant conditions (so a size sold out under `inStock=true` is not counted).
 * Each product counts once per value, however many of its variants carry it. Names in order,
 * values most frequent first, ties by value.
 */
function optionFacet(query: ProductSearchQueryDto): PipelineStage.FacetPipelineStage[] {
  const conditions = variantConditions(query) ?? { status: 'active' };
  return [
    // Only the variants go on: $unwind copies what is left of the product once per variant
    // (its movement history grows with every sale).
    { $project: { variants: 1 } },
    { $unwind: '$variants' },
    { $match: Object.fromEntries(Object.entries(conditions).map(([field, condition]) => [`variants.${field}`, condition])) },
    // A default variant's `{}` is not stored (Mongoose leaves empty objects out).
    { $project: { pairs: { $objectToArray: { $ifNull: ['$variants.options', {}] } } } },
    { $unwind: '$pairs' },
    { $group: { _id: { product: '$_id', name: '$pairs.k', value: '$pairs.v' } } },
    { $group: { _id: { name: '$_id.name', value: '$_id.value' }, count: { $sum: 1 } } },
    { $sort: { count: -1, '_id.value': 1 } },
    { $group: { _id: '$_id.name', values: { $push: { value: '$_id.value', count: '$count' } } } },
    { $sort: { _id: 1 } },
  ];
}

/**
 * The page of a filtered set: its items in the requested order. A price sort with variant
 * conditions (options, a price range, in stock) orders by the lowest price among the variants
 * that meet them, the price the shopper asked about: a product whose size M costs 25.00 sorts at
 * 25.00 under `option.Size=M`, not at the 9.00 of its size S. Without conditions that is the
 * product's own price (its lowest active one).
 */
function pageStages(query: ProductSearchQueryDto, words: QueryWords): PipelineStage.FacetPipelineStage[] {
  const sort = effectiveSort(query, words);
  const conditions = sort === 'price_asc' || sort === 'price_desc' ? variantConditions(query) : null;
  const matchPrice = conditions && {
    $addFields: {
      [MATCH_PRICE_FIELD]: { $min: { $map: { input: { $filter: { input: '$variants', as: 'v', cond: variantMatchExpression(conditions) } }, as: 'v', in: '$$v.price' } } },
    },
  };
  return [
    ...(sort === 'relevance' ? [{ $addFields: { [SCORE_FIELD]: titleScore(words) } }] : []),
    ...(matchPrice ? [matchPrice, { $sort: { [MATCH_PRICE_FIELD]: SORTS[sort].price, _id: 1 } } as PipelineStage.Sort] : [{ $sort: SORTS[sort] }]),
    { $skip: (query.page - 1) * query.limit },
    { $limit: query.limit },
  ];
}

/**
 * One aggregation, one round trip: the page, the total and the facets, all over the same
 * filtered set. For the first page asked of a filter; the counts do not depend on the page.
 */
export function searchPipeline(query: ProductSearchQueryDto, words: QueryWords, filter: ProductFilter): PipelineStage[] {
  return [
    { $match: filter },
    {
      $facet: {
        items: pageStages(query, words),
        total: [{ $count: 'count' }],
        brands: facet('brand'),
        categories: facet('category'),
        options: optionFacet(query),
      },
    },
  ];
}

/** Only the page: for a filter whose total and facets are already known. */
export function pagePipeline(query: ProductSearchQueryDto, words: QueryWords, filter: ProductFilter): PipelineStage[] {
  return [{ $match: filter }, ...(pageStages(query, words) as PipelineStage[])];
}
