import { INestApplication, RequestMethod, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type Redis from 'ioredis';
import type { ServerResponse } from 'node:http';
import { AppConfig } from './config/app-config';
import { defineThrottleCommand } from './core/redis-throttler.storage';
import { REDIS } from './redis/redis.module';
import { CatalogCache } from './products/catalog-cache';
import { catalogFastPath, recordStaticHeaders } from './products/catalog-fast-path';
import { completeOpenApiDocument } from './core/openapi-document';
import { routeArgumentsOf } from './core/openapi-routes';
import { CART_TOKEN_HEADER, CART_TOKEN_SECURITY } from './cart/cart-caller.decorator';

/**
 * Answer headers a browser page on another origin may read (CORS exposes only a few by default):
 * a guest's new cart token, when to retry after a 429, the catalog's ETag, and the request id to
 * quote in a support ticket.
 */
const EXPOSED_HEADERS = ['X-Cart-Token', 'Retry-After', 'ETag', 'X-Request-Id'];

export const API_PREFIX = 'api/v1';

/** Options every HTTP app instance is created with (main.ts and the e2e tests alike). */
export const HTTP_APP_OPTIONS = { bufferLogs: true, rawBody: true } as const;

/**
 * The request pipeline shared by the server and the e2e tests, so tests exercise exactly what
 * production runs: prefix, validation, security headers and the OpenAPI document.
 */
export function configureHttpApp(app: INestApplication): INestApplication {
  app.useLogger(app.get(Logger));
  // The client address (rate limits, logs) comes from X-Forwarded-For only through trusted proxies.
  (app as NestExpressApplication).set('trust proxy', app.get(AppConfig).trustProxy);
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [{ path: 'health', method: RequestMethod.GET }],
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // Nested objects must be validated too, and `{"$ne": null}` must never reach a query.
      forbidUnknownValues: true,
      stopAtFirstError: false,
    }),
  );
  // Swagger UI needs inline scripts and styles; the JSON API itself serves no HTML.
  const securityHeaders = helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  // Cache hits of anonymous catalog reads are answered here, before everything below, with the
  // headers helmet and CORS would have added (what enableCors() adds to a GET).
  const corsOnGet = (_request: unknown, response: ServerResponse, next: () => void) => {
    response.setHeader('Access-Control-Allow-Origin', '*');
    response.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(','));
    next();
  };
  // The hits count against the global limit with the throttler's own command, in their cache read's pipeline.
  defineThrottleCommand(app.get<Redis>(REDIS));
  app.use(catalogFastPath(app.get(CatalogCache), app.get(AppConfig), recordStaticHeaders(securityHeaders, corsOnGet)));
  app.use(securityHeaders);
  app.enableCors({ exposedHeaders: EXPOSED_HEADERS });

  const document = completeOpenApiDocument(SwaggerModule.createDocument(app, openApiConfig()), API_PREFIX, routeArgumentsOf(app));
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}

export function openApiConfig() {
  return new DocumentBuilder()
    .setTitle('Shop backend')
    .setDescription('REST API of the shop and its admin panel. Money is in minor units (cents).')
    .setVersion('1.0')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: CART_TOKEN_HEADER, description: 'A guest cart\'s token, from the answer that opened the cart' }, CART_TOKEN_SECURITY)
    .build();
}
