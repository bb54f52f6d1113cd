import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';

export { RouteParamtypes };

/** One argument of a route handler as Nest records it: `@Param('id', ParseObjectIdPipe) id: string`, say. */
export interface RouteArgument {
  /** The operation's id in the OpenAPI document (Swagger's default: `<Controller>_<handler>`). */
  operationId: string;
  kind: RouteParamtypes;
  /** The key given to @Param('id') / @Query('q'); absent for a whole body or query DTO. */
  name?: string;
  /** The declared TypeScript type: a DTO class, or String. */
  type: Function;
  pipes: unknown[];
}

/**
 * The arguments of every route of the app, read from Nest's metadata: what the OpenAPI
 * document is completed from (openapi-document.ts) and checked against (the e2e tests).
 */
export function routeArgumentsOf(app: INestApplication): RouteArgument[] {
  const controllers = [...app.get(ModulesContainer).values()].flatMap((module) =>
    [...module.controllers.values()].map((wrapper) => wrapper.metatype as Function),
  );
  const found: RouteArgument[] = [];
  for (const controller of controllers) {
    for (const handler of Object.getOwnPropertyNames(controller.prototype)) {
      // Nest records a route's arguments on the class, keyed by handler, as `<paramtype>:<index>`.
      const routeArguments = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<
        string,
        { index: number; data?: unknown; pipes?: unknown[] }
      >;
      const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, handler) ?? []) as Function[];
      for (const [key, { index, data, pipes }] of Object.entries(routeArguments)) {
        found.push({
          operationId: `${controller.name}_${handler}`,
          kind: Number(key.split(':')[0]) as RouteParamtypes,
          name: typeof data === 'string' ? data : undefined,
          type: types[index],
          pipes: pipes ?? [],
        });
      }
    }
  }
  return found;
}
