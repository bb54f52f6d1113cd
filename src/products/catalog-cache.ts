import { Inject, Injectable } from '@nestjs/common';
import type { ChainableCommander, default as Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { applyFigures, figuresDigest, shownProducts } from './catalog-figures';
import { CatalogDependencies, FiguresLabel, versionTag } from './catalog-version';
import { ProductStore } from './products.store';

/**
 * Caching of the public catalog reads (product list and search, one product, the category list),
 * in Redis and over HTTP, keyed by the catalog versions and the normalized request:
 *
 * - every content write (titles, prices, categories, images, status) bumps the content version,
 *   so a cached answer is never stale: the next read after a write sees another tag and misses;
 * - stock is not content: stock writes and rating changes leave cached answers in place and
 *   only move the figures version; a cached answer whose figures are older gets the live stock,
 *   ratings and `updatedAt` of its products laid over it from one MongoDB query
 *   (catalog-figures.ts). Answers that depend on availability (`inStock=true`) or on ratings
 *   (sorted by rating or relevance) carry that version in their tag too, which moves only when
 *   a product crosses between sold out and available, or a rating changes (CatalogVersion);
 * - a hit is the stored JSON text, sent as it is (or with the figures laid over it): no
 *   validation, no aggregation, no serialization; the answers are also kept in this process (a
 *   bounded map), so a hit is one Redis round trip (the versions, with the stored answer in the
 *   same MGET when this process has none);
 * - anonymous reads carry a strong ETag (versions + request + the figures shown) and
 *   `Cache-Control: public`; a matching If-None-Match is answered 304 with no body, also when the
 *   request says `Cache-Control: no-cache` (as `fetch()` does);
 * - with Redis unreachable the versions are unknown: the read goes to MongoDB uncached and says
 *   so (`no-cache`); nothing stored before the outage is used again, because a write during the
 *   outage is bumped as soon as Redis is back (CatalogVersion) and the counters never restart low.
 *
 * Only successful answers are stored and only they carry the caching headers: a 404 or 400 is
 * computed every time. Hits of anonymous reads are served before Nest's pipeline
 * (catalog-fast-path.ts); everything else goes through CatalogCacheInterceptor.
 */
/** Answers kept in process memory: at most this many, this many characters. */
const LOCAL_ENTRIES = 1000;
const LOCAL_CHARS = 16 * 1024 * 1024;
/** How long an answer stays in Redis (the key is per request, the value says its versions). */
const REDIS_TTL_MS = 60_000;
/**
 * How long this process answers from its own copy: a copy is valid while the versions it was
 * made for are current, and this bounds what a write whose bump was lost (its writer cut off
 * from Redis and gone before the bump it owed) can leave in use, as REDIS_TTL_MS does in Redis.
 */
const LOCAL_AT_MOST_MS = 60_000;

/**
 * A cached answer: its JSON text, the versions it is valid for, and its ETag. Its label
 * (FiguresLabel) says what its stock and ratings are as of: the figures version, and the gap
 * then (CatalogVersion's moves; null: unknown, its figures are read again once they moved).
 */
export interface CachedAnswer extends FiguresLabel {
  /** The versions the content depends on (versionTag). */
  tag: string;
  json: string;
  etag: string;
  /** The ids of the products it shows (none: no figures to lay over it). */
  productIds: readonly string[];
  /** When this process made or fetched it (Date.now()): see LOCAL_AT_MOST_MS. */
  storedAt: number;
  /**
   * The JSON as UTF-8, made on its first send by the fast path and kept with the answer: a hit
   * sends bytes, not a string Node would encode again for every answer.
   */
  bytes?: Buffer;
}

/**
 * How an answer was come by, sent as the `Cache-Status` header (RFC 9211), so that operators and
 * the sale benchmark can tell what share of reads the cache answered:
 * - `hit`: the stored answer as it was;
 * - `figures`: a hit with the live stock and ratings laid over it (a sale moved them);
 * - `stored`: a miss, computed and stored;
 * - `collapsed`: a miss that waited for another request's computation (computeOnce);
 * - `bypass`: Redis unreachable, computed uncached.
 */
export type CacheOutcome = 'hit' | 'figures' | 'stored' | 'collapsed' | 'bypass';

const CACHE_STATUS: Record<CacheOutcome, string> = {
  hit: 'shop-api; hit',
  figures: 'shop-api; hit; detail=figures',
  stored: 'shop-api; fwd=miss; stored',
  collapsed: 'shop-api; fwd=miss; collapsed',
  bypass: 'shop-api; fwd=bypass; detail=cache-unavailable',
};
export const CACHE_STATUS_HEADER = 'Cache-Status';

export function cacheStatusOf(outcome: CacheOutcome): string {
  return CACHE_STATUS[outcome];
}

/** What a lookup found: nothing usable (Redis unreachable), the answer, or the key to store one under. */
export type CatalogLookup =
  | { kind: 'uncached' }
  | { kind: 'hit'; answer: CachedAnswer; outcome: Extract<CacheOutcome, 'hit' | 'figures'> }
  | ({ kind: 'miss'; tag: string } & FiguresLabel);

/** An answer to send: status, headers, and the body (none for a 304). */
export interface CatalogReply {
  status: 200 | 304;
  headers: Record<string, string>;
  body?: string;
}

@Injectable()
export class CatalogCache {
  private readonly publicCacheControl: string;
  /** By normalized request target; least recently used first. */
  private readonly local = new Map<string, CachedAnswer>();
  private localChars = 0;
  /** Figures being read for an answer, by target, tag and figures version (withLiveFigures). */
  private readonly refreshing = new Map<string, Promise<CachedAnswer | null>>();
  /** Misses being computed in this process, by target and content tag (computeOnce). */
  private readonly computing = new Map<string, Promise<CachedAnswer>>();

  constructor(
    private readonly products: ProductStore,
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
  ) {
    this.publicCacheControl = `public, max-age=${config.get('CATALOG_MAX_AGE_SECONDS')}`;
  }

  /**
   * The cached answer to the request, up to date: one Redis round trip (the versions, the
   * stored answer when this process has none, the figures moves of the products of the copy it
   * has, and the command `before` adds), plus one MongoDB query when the stock or ratings of
   * its products moved since it was stored. `before` gets its result.
   */
  async lookup(target: string, query: Request['query'], before?: (pipeline: ChainableCommander) => void): Promise<{ found: CatalogLookup; before?: [Error | null, unknown] }> {
    const depends = dependenciesOf(query);
    const local = this.localCopy(target);
    let read = await this.products.catalogVersions(local ? undefined : answerKey(target), before, local?.productIds);
    const beforeResult = read?.before;
    // This process's copy is outdated: another process may have stored the current one.
    if (read && local && local.tag !== versionTag(read.versions, depends)) read = await this.products.catalogVersions(answerKey(target));
    if (read === null) return { found: { kind: 'uncached' }, before: beforeResult };
    const { versions } = read;
    const tag = versionTag(versions, depends);

    let cached = local?.tag === tag ? local : fromRedis(read.also, tag, target);
    const now: FiguresLabel = { figures: versions.figures, gap: read.figuresGap };
    let outcome: Extract<CacheOutcome, 'hit' | 'figures'> = 'hit';
    if (cached !== null && cached.figures !== versions.figures) {
      // Which of its products moved since (the moves were read for this copy; null: unknown, all of them).
      const moved = cached === local ? (read.moves?.movedAfter(cached.productIds, cached) ?? null) : null;
      // None did: its figures are the live ones.
      if (moved?.length === 0) cached = { ...cached, ...now };
      else {
        cached = await this.withLiveFigures(cached, target, now, moved ?? cached.productIds);
        outcome = 'figures';
      }
    }
    if (!cached) return { found: { kind: 'miss', tag, ...now }, before: beforeResult };
    this.localSet(target, cached);
    return { found: { kind: 'hit', answer: cached, outcome }, before: beforeResult };
  }

  /**
   * The answer to a miss, computed by `compute` and stored, once per process for concurrent
   * misses of one request under one content tag: a content write makes every cached answer
   * unreachable at once, and during a sale every request in flight for a popular listing would
   * otherwise run the same aggregation at the same moment. A request joining a computation that
   * started under older figures gets the live figures laid over its answer (as a hit would), so
   * what it shows is never older than what its own lookup saw. A failure (a 400, an outage) is
   * every waiting request's failure, as it would have been theirs computed alone.
   */
  async computeOnce(
    target: string,
    miss: { tag: string } & FiguresLabel,
    compute: () => Promise<unknown>,
  ): Promise<{ answer: CachedAnswer; outcome: Extract<CacheOutcome, 'stored' | 'collapsed'> }> {
    const key = `${target}\n${miss.tag}`;
    // A computation that finished while this request's lookup was on its way left its answer here.
    const local = this.localCopy(target);
    const pending = this.computing.get(key) ?? (local?.tag === miss.tag ? Promise.resolve(local) : undefined);
    if (!pending) {
      const computed = compute().then((body) => this.store(target, miss, body));
      this.computing.set(key, computed);
      // Removed whether it succeeds or fails; the waiting requests hold the promise itself.
      computed.then(
        () => this.computing.delete(key),
        () => this.computing.delete(key),
      );
      return { answer: await computed, outcome: 'stored' };
    }
    const answer = await pending;
    if (answer.figures === miss.figures) return { answer, outcome: 'collapsed' };
    const refreshed = await this.withLiveFigures(answer, target, miss, answer.productIds);
    // A product no longer as shown: this request computes its own answer.
    return refreshed ? { answer: refreshed, outcome: 'collapsed' } : { answer: this.store(target, miss, await compute()), outcome: 'stored' };
  }

  /** Stores a computed answer (a miss) in this process and in Redis; the caller sends it. */
  store(target: string, miss: { tag: string } & FiguresLabel, body: unknown): CachedAnswer {
    const json = JSON.stringify(body);
    const answer: CachedAnswer = { tag: miss.tag, figures: miss.figures, gap: miss.gap, json, etag: etagOf(miss.tag, target, body), productIds: productIdsOf(body), storedAt: Date.now() };
    // Not awaited: the answer does not wait for the cache, and a cache failure is only a miss.
    this.redis.set(answerKey(target), `${miss.tag} ${miss.figures} ${miss.gap ?? '-'}\n${json}`, 'PX', REDIS_TTL_MS).catch(() => undefined);
    this.localSet(target, answer);
    return answer;
  }

  /**
   * The reply: an anonymous read gets the ETag and `Cache-Control: public` (304 when
   * If-None-Match holds the tag); catalog answers are the same for everyone, but a request with
   * credentials still must not make a shared cache store it (API.md).
   */
  reply(answer: CachedAnswer, request: Pick<Request, 'headers'>, outcome: CacheOutcome): CatalogReply {
    const cacheStatus = { [CACHE_STATUS_HEADER]: CACHE_STATUS[outcome] };
    if (request.headers.authorization !== undefined) {
      return { status: 200, headers: { ...cacheStatus, 'Cache-Control': 'private, no-cache', 'Content-Type': JSON_CONTENT_TYPE }, body: answer.json };
    }
    const headers = { ...cacheStatus, ETag: answer.etag, 'Cache-Control': this.publicCacheControl };
    if (ifNoneMatchHits(request.headers['if-none-match'], answer.etag)) return { status: 304, headers };
    return { status: 200, headers: { ...headers, 'Content-Type': JSON_CONTENT_TYPE }, body: answer.json };
  }

  /**
   * The cached answer with the current stock, ratings and `updatedAt` of its products `moved`
   * (the others' are live already); null when one of them is not found as shown (then it is
   * computed again).
   */
  private withLiveFigures(cached: CachedAnswer, target: string, label: FiguresLabel, moved: readonly string[]): Promise<CachedAnswer | null> {
    // Concurrent reads of one answer after one stock write share one query: during a sale every
    // write would otherwise send every request in flight to MongoDB at once.
    const key = `${target}\n${cached.tag}\n${cached.figures} ${label.figures} ${label.gap}\n${moved.join(',')}`;
    let pending = this.refreshing.get(key);
    if (!pending) {
      pending = this.layFigures(cached, target, label, moved).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  private async layFigures(cached: CachedAnswer, target: string, label: FiguresLabel, moved: readonly string[]): Promise<CachedAnswer | null> {
    if (moved.length === 0) return { ...cached, ...label };
    const body: unknown = JSON.parse(cached.json);
    if (!applyFigures(body, await this.products.liveFigures([...moved]), new Set(moved))) return null;
    return { ...cached, ...label, json: JSON.stringify(body), bytes: undefined, etag: etagOf(cached.tag, target, body) };
  }

  /** This process's copy of the answer, unless it is older than LOCAL_AT_MOST_MS. */
  private localCopy(target: string): CachedAnswer | undefined {
    const local = this.local.get(target);
    return local && Date.now() - local.storedAt < LOCAL_AT_MOST_MS ? local : undefined;
  }

  private localSet(target: string, answer: CachedAnswer): void {
    const previous = this.local.get(target);
    if (previous) {
      this.local.delete(target);
      this.localChars -= previous.json.length;
    }
    if (answer.json.length > LOCAL_CHARS) return;
    // Most recently used last, so the least recently used is dropped first.
    this.local.set(target, answer);
    this.localChars += answer.json.length;
    while (this.local.size > LOCAL_ENTRIES || this.localChars > LOCAL_CHARS) {
      const [oldestKey, oldest] = this.local.entries().next().value!;
      this.local.delete(oldestKey);
      this.localChars -= oldest.json.length;
    }
  }
}

/** Under the deployment's key prefix (the shared client adds it). */
function answerKey(target: string): string {
  return `catalog:answer:${target}`;
}

/** A stored answer (`<tag> <figures> <gap or ->\n<json>`) if it is of the current content versions. */
function fromRedis(stored: string | null | undefined, tag: string, target: string): CachedAnswer | null {
  if (!stored) return null;
  const newline = stored.indexOf('\n');
  const [storedTag, figures, gap] = stored.slice(0, newline).split(' ');
  if (storedTag !== tag || figures === undefined) return null;
  const json = stored.slice(newline + 1);
  const body: unknown = JSON.parse(json);
  // A gap not written (a process of an earlier version stored it) is unknown.
  return { tag, figures, gap: gap === undefined || gap === '-' ? null : Number(gap), json, etag: etagOf(tag, target, body), productIds: productIdsOf(body), storedAt: Date.now() };
}

function productIdsOf(body: unknown): string[] {
  return shownProducts(body).map((product) => product.id);
}

/**
 * What besides its content an answer depends on, from its query: `inStock=true` on
 * availability; ordering by rating (sort `rating`, and `relevance`, the default with `q`, whose
 * tie-break is the rating count) on ratings. Unparsed and invalid values answer 400 uncached,
 * so this only has to err on the side of depending.
 */
export function dependenciesOf(query: Request['query']): CatalogDependencies {
  const sort = query.sort;
  return {
    availability: query.inStock !== undefined && query.inStock !== 'false',
    ranking: sort === 'rating' || sort === 'relevance' || (sort === undefined && query.q !== undefined),
  };
}

/** The ETag names the content versions, the request and the figures shown. */
function etagOf(tag: string, target: string, body: unknown): string {
  return strongEtag(`${tag}:${target}#${figuresDigest(body)}`);
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Path plus query with the parameters ordered by name (repeated names keep their order), left
 * encoded as sent: two requests with the same key are parsed to the same query.
 */
export function normalizedTarget(originalUrl: string): string {
  const [path, query = ''] = originalUrl.split('?', 2);
  const pairs = query.split('&').filter((pair) => pair !== '');
  const name = (pair: string) => pair.split('=', 1)[0];
  pairs.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  return `${path}?${pairs.join('&')}`;
}

function strongEtag(key: string): string {
  return `"${createHash('sha1').update(key).digest('base64url')}"`;
}

/** If-None-Match compares weakly (RFC 9110 13.1.2): `W/"x"` matches `"x"`; `*` matches any. */
function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
