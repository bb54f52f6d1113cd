import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { map, Observable, of } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { ProductStore } from '../products/products.store';

/**
 * Caching of the public catalog reads (product list and search, one product, the category list),
 * in Redis and over HTTP, both keyed by the catalog version and the normalized request:
 *
 * - every catalog write bumps the version (ProductStore, CatalogVersion), so a cached answer is
 *   never stale: the next read after a write computes a new key and misses;
 * - a hit is the stored JSON text, sent as it is: no validation, no database, no serialization;
 * - anonymous reads carry a strong ETag (version + request) and `Cache-Control: public`; a
 *   matching If-None-Match is answered 304 before the handler runs, so it costs one Redis read;
 * - with Redis unreachable the version is unknown: the read goes to MongoDB uncached and says so
 *   (`no-cache`); nothing stored before the outage is used again, because a write during the
 *   outage is bumped as soon as Redis is back (CatalogVersion) and the counter never restarts low.
 *
 * Only successful answers are stored and only they carry the caching headers: a 404 or 400 is
 * computed every time.
 */
@Injectable()
export class CatalogCacheInterceptor implements NestInterceptor {
  private readonly publicCacheControl: string;

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
      // Express answers 304 without a body when the response's ETag matches the request.
      response.set(headers);
      return of(undefined);
    }

    const cached = await this.cache.get<string>(key).catch(() => undefined);
    if (typeof cached === 'string') {
      response.set(headers).type('json');
      return of(cached);
    }
    return next.handle().pipe(
      map((body: unknown) => {
        const json = JSON.stringify(body);
        // Not awaited: the answer does not wait for the cache, and a cache failure is only a miss.
        this.cache.set(key, json).catch(() => undefined);
        response.set(headers).type('json');
        return json;
      }),
    );
  }
}

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
