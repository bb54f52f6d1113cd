import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { map, Observable, of } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { ProductStore } from './products.store';

/**
 * Caching of the public catalog reads (product list and search, one product, the category list),
 * in Redis and over HTTP, both keyed by the catalog version and the normalized request:
 *
 * - every catalog write bumps the version (ProductStore, CatalogVersion), so a cached answer is
 *   never stale: the next read after a write computes a new key and misses;
 * - a hit is the stored JSON text, sent as it is: no validation, no database, no serialization;
 *   the answers of the current version are also kept in this process (a bounded map, emptied
 *   when the version moves), which saves the Redis read and the Keyv decoding of the text;
 * - anonymous reads carry a strong ETag (version + request) and `Cache-Control: public`; a
 *   matching If-None-Match is answered 304 before the handler runs, so it costs one Redis read,
 *   also when the request says `Cache-Control: no-cache` (as `fetch()` does);
 * - with Redis unreachable the version is unknown: the read goes to MongoDB uncached and says so
 *   (`no-cache`); nothing stored before the outage is used again, because a write during the
 *   outage is bumped as soon as Redis is back (CatalogVersion) and the counter never restarts low.
 *
 * Only successful answers are stored and only they carry the caching headers: a 404 or 400 is
 * computed every time.
 */
/** Answers of one catalog version kept in process memory: at most this many, this many characters. */
const LOCAL_ENTRIES = 1000;
const LOCAL_CHARS = 16 * 1024 * 1024;

@Injectable()
export class CatalogCacheInterceptor implements NestInterceptor {
  private readonly publicCacheControl: string;
  private localVersion: string | null = null;
  private readonly local = new Map<string, string>();
  private localChars = 0;

  constructor(
    private readonly products: ProductStore,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    config: AppConfig,
  ) {
    this.publicCacheControl = `public, max-age=${config.get('CATALOG_MAX_AGE_SECONDS')}`;
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const version = await this.products.catalogVersion();
    if (version === null) {
      response.setHeader('Cache-Control', 'no-cache');
      return next.handle();
    }

    const key = `catalog:${version}:${normalizedTarget(request.originalUrl)}`;
    // Catalog answers are the same for everyone; a request with credentials still must not
    // make a shared cache store it (API.md).
    const headers: Record<string, string> =
      request.headers.authorization === undefined
        ? { ETag: strongEtag(key), 'Cache-Control': this.publicCacheControl }
        : { 'Cache-Control': 'private, no-cache' };
    if (headers.ETag && ifNoneMatchHits(request.headers['if-none-match'], headers.ETag)) {
      answerNotModified(request, response, headers);
      return of(undefined);
    }

    const cached = this.localGet(version, key) ?? (await this.cache.get<string>(key).catch(() => undefined));
    if (typeof cached === 'string') {
      this.localSet(version, key, cached);
      response.set(headers).setHeader('Content-Type', JSON_CONTENT_TYPE);
      return of(cached);
    }
    return next.handle().pipe(
      map((body: unknown) => {
        const json = JSON.stringify(body);
        // Not awaited: the answer does not wait for the cache, and a cache failure is only a miss.
        this.cache.set(key, json).catch(() => undefined);
        this.localSet(version, key, json);
        response.set(headers).setHeader('Content-Type', JSON_CONTENT_TYPE);
        return json;
      }),
    );
  }

  private localGet(version: string, key: string): string | undefined {
    if (version !== this.localVersion) return undefined;
    const json = this.local.get(key);
    if (json !== undefined) {
      // Most recently used last, so the least recently used is dropped first.
      this.local.delete(key);
      this.local.set(key, json);
    }
    return json;
  }

  /** Entries of another version are dead (keys carry the version): start over. */
  private localSet(version: string, key: string, json: string): void {
    if (version !== this.localVersion) {
      // Versions only grow; an older one (a slow request started before a write) is not kept.
      if (this.localVersion !== null && BigInt(version) < BigInt(this.localVersion)) return;
      this.local.clear();
      this.localChars = 0;
      this.localVersion = version;
    }
    if (this.local.has(key) || json.length > LOCAL_CHARS) return;
    this.local.set(key, json);
    this.localChars += json.length;
    while (this.local.size > LOCAL_ENTRIES || this.localChars > LOCAL_CHARS) {
      const [oldestKey, oldest] = this.local.entries().next().value!;
      this.local.delete(oldestKey);
      this.localChars -= oldest.length;
    }
  }
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

/**
 * The 304, decided here. Express sends the empty answer as a 304 only when it judges the request
 * fresh itself, and it never does for a request with `Cache-Control: no-cache`, which browsers'
 * and Node's `fetch()` send with every If-None-Match: it then sent 200 with no body, which
 * clients fail to parse. `no-cache` tells caches to ask the origin (RFC 9111 5.2.1.4); the origin
 * still evaluates If-None-Match (RFC 9110 13.1.2), as done here, so Express is told the answer.
 */
function answerNotModified(request: Request, response: Response, headers: Record<string, string>): void {
  Object.defineProperty(request, 'fresh', { value: true, configurable: true });
  response.status(304).set(headers);
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
