// Adapts the @nestjs/swagger compiler plugin to ts-jest's transformer interface, so DTOs compiled
// for tests carry the same OpenAPI metadata as those compiled by `nest build`.
const plugin = require('@nestjs/swagger/plugin');

module.exports.name = 'nestjs-swagger-transformer';
module.exports.version = 1;
module.exports.factory = (compiler) =>
  plugin.before({ introspectComments: true, classValidatorShim: true }, compiler.program);
