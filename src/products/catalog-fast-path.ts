import { Logger } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';
import { ALREADY_THROTTLED } from '../core/client-throttler.guard';
import { clientKeyOf } from '../core/client-key';
import { REQUEST_ID_HEADER, requestIdOf } from '../core/logger.options';
import { GLOBAL_THROTTLER, GLOBAL_WINDOW_MS } from '../core/rate-limits';
import { addThrottleCommand, throttleRecordOf } from '../core/redis-throttler.storage';
import { CatalogCache, normalizedTarget } from './catalog-cache';

/** The public catalog reads (SearchController, ProductsController) under the API prefix. */
const CATALOG_READ = /^\/api\/v1\/(?:products(?:\/[^/]+)?|categories)\/?$/;
/** How often the number of hits served here is logged. */
const HIT_LOG_INTERVAL_MS = 60_000;

/**
 * Cache hits of anonymous catalog reads, served before Nest's pipeline: the profile of a hit put
 * helmet, pino-http, rxjs and the guards at about half of its cost, and none of them changes a
 * hit's answer (issue 28). What a hit still gets, from this middleware:
 * - the global rate limit, counted in the same Redis round trip as the cache read (the same
 *   counter the throttler guard uses; a client over the limit goes on to the guard, which
 *   answers 429), and its X-RateLimit-* headers;
 * - the security headers helmet and CORS give every answer (taken from helmet once at start);
 * - a request id (`x-request-id`, the caller's or a new one), like every answer;
 * - logging in batches: a line with the number of hits served per minute instead of a line per hit.
 *
 * Anything else (a miss, a request with credentials, Redis unreachable) goes on through the
 * whole pipeline, already counted against the limit (ALREADY_THROTTLED), so it counts once.
 */
export function catalogFastPath(cache: CatalogCache, config: AppConfig, securityHeaders: StaticHeaders): RequestHandler {
  const limit = config.get('THROTTLE_LIMIT_PER_MINUTE');
  const logger = new Logger('CatalogFastPath');
  let hits = 0;
  setInterval(() => {
    if (hits > 0) logger.log(`${hits} catalog cache hit(s) served before the pipeline in the last ${HIT_LOG_INTERVAL_MS / 1000} s`);
    hits = 0;
  }, HIT_LOG_INTERVAL_MS).unref();

  async function serve(request: Request, response: Response, next: NextFunction): Promise<void> {
    const target = normalizedTarget(request.originalUrl);
    const { found, before } = await cache.lookup(target, request.query, (pipeline) =>
      addThrottleCommand(pipeline, clientKeyOf(request.ip ?? ''), GLOBAL_WINDOW_MS, limit, GLOBAL_THROTTLER),
    );
    const throttle = throttleRecordOf(before);
    // Over the limit, or not counted (Redis failed): the guard decides, as for any request.
    if (!throttle || throttle.isBlocked) return next();
    response.setHeader('X-RateLimit-Limit', limit);
    response.setHeader('X-RateLimit-Remaining', Math.max(0, limit - throttle.totalHits));
    response.setHeader('X-RateLimit-Reset', throttle.timeToExpire);
    (request as Request & { [ALREADY_THROTTLED]?: true })[ALREADY_THROTTLED] = true;
    if (found.kind !== 'hit') return next();

    hits += 1;
    const reply = cache.reply(found.answer, request, found.outcome);
    securityHeaders.apply(response);
    response.setHeader(REQUEST_ID_HEADER, requestIdOf(request));
    for (const [name, value] of Object.entries(reply.headers)) response.setHeader(name, value);
    if (reply.body === undefined) {
      response.writeHead(reply.status).end();
      return;
    }
    const bytes = (found.answer.bytes ??= Buffer.from(reply.body));
    response.setHeader('Content-Length', bytes.length);
    response.writeHead(reply.status).end(bytes);
  }

  return (request, response, next) => {
    if (request.method !== 'GET' || request.headers.authorization !== undefined || !CATALOG_READ.test(request.path)) return next();
    serve(request, response, next).catch(next);
  };
}

/** Headers every answer gets from middleware that a fast-path hit does not run: set and removed alike. */
export interface StaticHeaders {
  apply(response: ServerResponse): void;
}

/**
 * The headers a header-only middleware (helmet, CORS) sets on every answer, recorded once by
 * running it on a stand-in response, so that hits carry exactly what the pipeline would add.
 */
export function recordStaticHeaders(...middleware: ((request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void)[]): StaticHeaders {
  const set = new Map<string, string | number | readonly string[]>();
  const removed = new Set<string>();
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      set.set(name, value);
      removed.delete(name.toLowerCase());
      return recorder;
    },
    getHeader: (name: string) => set.get(name),
    removeHeader: (name: string) => {
      set.delete(name);
      removed.add(name.toLowerCase());
    },
  } as unknown as ServerResponse;
  const request = { method: 'GET', url: '/', headers: {} } as IncomingMessage;
  for (const run of middleware) {
    run(request, recorder, (error) => {
      if (error) throw error;
    });
  }
  const headers = [...set];
  return {
    apply: (response) => {
      for (const name of removed) response.removeHeader(name);
      for (const [name, value] of headers) response.setHeader(name, value);
    },
  };
}
