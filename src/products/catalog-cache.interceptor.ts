import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { lastValueFrom, Observable, of } from 'rxjs';
import { CACHE_STATUS_HEADER, CatalogCache, cacheStatusOf, CatalogReply, normalizedTarget } from './catalog-cache';

/**
 * The public catalog reads through the cache (CatalogCache): a hit is sent as stored, a miss
 * runs the handler (once for concurrent misses of the same request) and stores its answer. Anonymous hits usually never get here: the fast path
 * serves them before Nest's pipeline (catalog-fast-path.ts).
 */
@Injectable()
export class CatalogCacheInterceptor implements NestInterceptor {
  constructor(private readonly cache: CatalogCache) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    const target = normalizedTarget(request.originalUrl);
    const { found } = await this.cache.lookup(target, request.query);
    if (found.kind === 'uncached') {
      response.setHeader('Cache-Control', 'no-cache');
      response.setHeader(CACHE_STATUS_HEADER, cacheStatusOf('bypass'));
      return next.handle();
    }
    if (found.kind === 'hit') return of(send(request, response, this.cache.reply(found.answer, request, found.outcome)));
    // Concurrent misses of this request in this process wait for one computation (computeOnce).
    const { answer, outcome } = await this.cache.computeOnce(target, found, () => lastValueFrom(next.handle()));
    return of(send(request, response, this.cache.reply(answer, request, outcome)));
  }
}

/** Sets status and headers; the body (undefined for a 304) is what the handler's observable gives Nest to send. */
function send(request: Request, response: Response, reply: CatalogReply): string | undefined {
  response.set(reply.headers);
  if (reply.status === 304) answerNotModified(request, response);
  return reply.body;
}

/**
 * The 304, decided here. Express sends the empty answer as a 304 only when it judges the request
 * fresh itself, and it never does for a request with `Cache-Control: no-cache`, which browsers'
 * and Node's `fetch()` send with every If-None-Match: it then sent 200 with no body, which
 * clients fail to parse. `no-cache` tells caches to ask the origin (RFC 9111 5.2.1.4); the origin
 * still evaluates If-None-Match (RFC 9110 13.1.2), as done here, so Express is told the answer.
 */
function answerNotModified(request: Request, response: Response): void {
  Object.defineProperty(request, 'fresh', { value: true, configurable: true });
  response.status(304);
}

