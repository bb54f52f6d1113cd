// The framework's ceiling: the lightest NestJS 12 + Express app (one controller, no guards, no
// pipes, no logger) answering the same bytes as the API. Plain JavaScript with the decorators
// applied by hand, so that it needs no build. Used by catalog-read.js.
require('reflect-metadata');
const { readFileSync } = require('node:fs');
const { Controller, Get, Header, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

const body = readFileSync(process.env.BENCH_BODY_FILE, 'utf8');

class CeilingController {
  answer() {
    return body;
  }
}
const method = Object.getOwnPropertyDescriptor(CeilingController.prototype, 'answer');
Get('ceiling')(CeilingController.prototype, 'answer', method);
Header('Content-Type', 'application/json; charset=utf-8')(CeilingController.prototype, 'answer', method);
Controller()(CeilingController);

class CeilingModule {}
Module({ controllers: [CeilingController] })(CeilingModule);

NestFactory.create(CeilingModule, { logger: false })
  .then((app) => app.listen(Number(process.env.PORT), '127.0.0.1'))
  .then(() => process.send?.('ready'));
