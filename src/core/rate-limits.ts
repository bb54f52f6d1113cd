import { applyDecorators, ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiExtension } from '@nestjs/swagger';
import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import type Redis from 'ioredis';
import type { AppConfig } from '../config/app-config';
import { EnvironmentVariables } from '../config/env.schema';
import { clientKeyOf, networkKeyOf } from './client-key';
import { GLOBAL_LIMIT, RATE_LIMIT_EXTENSION, RateLimitExtension } from './openapi-errors';
import { RedisThrottlerStorage } from './redis-throttler.storage';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type LimitVariable = {
  [K in keyof EnvironmentVariables]-?: K extends `THROTTLE_${string}_PER_${'MINUTE' | 'HOUR'}` ? K : never;
}[keyof EnvironmentVariables];

/**
 * The routes that are expensive (a 19 MiB password hash) or sensitive (an email to someone),
 * each with its own limit per client on top of the global one. `also` documents the route's
 * other 429s.
 */
const ROUTE_LIMITS = {
  register: { variable: 'THROTTLE_REGISTER_PER_HOUR', windowMs: HOUR, hashes: true },
  login: {
    variable: 'THROTTLE_LOGIN_PER_MINUTE',
    windowMs: MINUTE,
    hashes: true,
    also: (defaults: EnvironmentVariables) =>
      `Failed logins are limited too, within LOGIN_FAILURE_WINDOW_MINUTES (default ${defaults.LOGIN_FAILURE_WINDOW_MINUTES}): ` +
      `LOGIN_MAX_FAILURES_PER_EMAIL (default ${defaults.LOGIN_MAX_FAILURES_PER_EMAIL}) per email from one client, after ` +
      'which that client gets 429 for that email while other clients still log in; LOGIN_MAX_FAILURES_PER_EMAIL_TOTAL ' +
      `(default ${defaults.LOGIN_MAX_FAILURES_PER_EMAIL_TOTAL}) per email from all clients; LOGIN_MAX_FAILURES_PER_IP ` +
      `(default ${defaults.LOGIN_MAX_FAILURES_PER_IP}) per client over all emails. Refused attempts do not count.`,
  },
  'password-forgot': { variable: 'THROTTLE_PASSWORD_FORGOT_PER_HOUR', windowMs: HOUR, hashes: false },
  'password-reset': { variable: 'THROTTLE_PASSWORD_RESET_PER_HOUR', windowMs: HOUR, hashes: true },
  // Each webhook counts on its own; the route also skips the global limit (@SkipThrottle).
  'stripe-webhook': { variable: 'THROTTLE_PAYMENT_WEBHOOK_PER_MINUTE', windowMs: MINUTE, hashes: false, ownLimitOnly: true },
  'paypal-webhook': { variable: 'THROTTLE_PAYMENT_WEBHOOK_PER_MINUTE', windowMs: MINUTE, hashes: false, ownLimitOnly: true },
} satisfies Record<string, RouteLimit>;

interface RouteLimit {
  variable: LimitVariable;
  windowMs: number;
  hashes: boolean;
  also?: (defaults: EnvironmentVariables) => string;
  /** The global per-client limit does not apply to the route (it is skipped there), only this one. */
  ownLimitOnly?: boolean;
}

export type LimitedRoute = keyof typeof ROUTE_LIMITS;

const ROUTE_LIMIT_KEY = 'rate-limited-route';

/**
 * Gives the route its own limit from ROUTE_LIMITS (enforced by the throttlers below) and says it
 * in the OpenAPI document (turned into the route's 429 and 503 answers by openapi-errors.ts; an
 * @ApiResponse here would drop the route's default success answer).
 */
export function RateLimited(route: LimitedRoute) {
  const limit: RouteLimit = ROUTE_LIMITS[route];
  // The defaults as the environment schema declares them, so the document never drifts from it.
  const defaults = new EnvironmentVariables();
  const per = limit.windowMs === HOUR ? 'hour' : 'minute';
  const documented: RateLimitExtension = {
    description:
      `Rate limited: at most ${limit.variable} (default ${defaults[limit.variable]}) requests per ${per} per client ` +
      `(an IPv6 /64 or an IPv4 address), and THROTTLE_NETWORK_MULTIPLIER (default ${defaults.THROTTLE_NETWORK_MULTIPLIER}) ` +
      `times that per IPv6 /48` +
      (limit.ownLimitOnly ? '; the global per-client limit does not apply here' : `; besides, ${GLOBAL_LIMIT.replace(/^Rate limited: at most /, '')}`) +
      (limit.also ? ` ${limit.also(defaults)}` : ''),
    hashesPassword: limit.hashes,
  };
  return applyDecorators(SetMetadata(ROUTE_LIMIT_KEY, route), ApiExtension(RATE_LIMIT_EXTENSION, documented));
}

/** The throttler every request counts against, its window, and its key: the client (client-key.ts). */
export const GLOBAL_THROTTLER = 'default';
export const GLOBAL_WINDOW_MS = MINUTE;

/**
 * The throttlers: `default` counts every request of a client over all routes (the library's
 * own key includes the route, which made the global limit a per-route one); `route` and
 * `route-network` count a rate-limited route's requests per client and per IPv6 /48.
 * A client is an IPv6 /64 or an IPv4 address (client-key.ts).
 */
export function throttlerOptions(config: AppConfig, redis: Redis): ThrottlerModuleOptions {
  const reflector = new Reflector();
  const routeOf = (context: ExecutionContext) => reflector.get<LimitedRoute | undefined>(ROUTE_LIMIT_KEY, context.getHandler());
  const limitOf = (context: ExecutionContext) => ROUTE_LIMITS[routeOf(context)!];
  const routeThrottler = (name: string, multiplier: number): ThrottlerOptions => ({
    name,
    skipIf: (context) => routeOf(context) === undefined,
    ttl: (context) => limitOf(context).windowMs,
    limit: (context) => config.get(limitOf(context).variable) * multiplier,
    // The Retry-After header comes with the 429 (ClientThrottlerGuard), not per throttler.
    setHeaders: false,
  });
  return {
    storage: new RedisThrottlerStorage(redis),
    getTracker: (req) => clientKeyOf(req.ip),
    generateKey: (context, tracker, name) => (name === GLOBAL_THROTTLER ? tracker : `${routeOf(context)}:${tracker}`),
    throttlers: [
      { name: GLOBAL_THROTTLER, ttl: GLOBAL_WINDOW_MS, limit: config.get('THROTTLE_LIMIT_PER_MINUTE') },
      routeThrottler('route', 1),
      { ...routeThrottler('route-network', config.get('THROTTLE_NETWORK_MULTIPLIER')), getTracker: (req) => networkKeyOf(req.ip) },
    ],
  };
}
