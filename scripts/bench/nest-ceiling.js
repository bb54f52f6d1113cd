// The framework's ceiling: the lightest NestJS 12 + Express app (one controller, no guards, no
// pipes, no logger) answering the same bytes as the API. Plain JavaScript with the decorators
// applied by hand, so that it needs no build. Used by catalog-read.js.
//
// BENCH_LAYERS adds, one at a time, what the API's hit path has on top, to price each:
//   web       helmet + CORS, as in app.setup.ts
//   logging   pino-http at level warn with the API's redaction (nothing is written, as in the API)
//   redis1    one Redis round trip per request (the catalog version read)
//   redis2    two sequential Redis round trips (+ the throttle counter)
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const { Controller, Get, Header, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

const body = readFileSync(process.env.BENCH_BODY_FILE, 'utf8');
const layers = new Set((process.env.BENCH_LAYERS ?? '').split(',').filter(Boolean));
const roundTrips = layers.has('redis2') ? 2 : layers.has('redis1') ? 1 : 0;
const redis = roundTrips > 0 ? new (require('ioredis'))(process.env.REDIS_URL, { keyPrefix: `${process.env.REDIS_KEY_PREFIX}:` }) : null;

class CeilingController {
  async answer() {
    for (let i = 0; i < roundTrips; i += 1) await redis.get('catalog:version');
    return body;
  }
}
const method = Object.getOwnPropertyDescriptor(CeilingController.prototype, 'answer');
Get('ceiling')(CeilingController.prototype, 'answer', method);
Header('Content-Type', 'application/json; charset=utf-8')(CeilingController.prototype, 'answer', method);
Controller()(CeilingController);

class CeilingModule {}
Module({ controllers: [CeilingController] })(CeilingModule);

async function main() {
  const app = await NestFactory.create(CeilingModule, { logger: false });
  if (layers.has('web')) {
    app.use(require('helmet')({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
    app.enableCors();
  }
  if (layers.has('logging')) {
    app.use(
      require('pino-http')({
        level: 'warn',
        genReqId: (req, res) => {
          const id = require('node:crypto').randomUUID();
          res.setHeader('x-request-id', id);
          return id;
        },
        redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'], censor: '[redacted]' },
      }),
    );
  }
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.send?.('ready');
}
main();
