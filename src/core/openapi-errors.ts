import { ApiExtension, type OpenAPIObject } from '@nestjs/swagger';
import { EnvironmentVariables } from '../config/env.schema';

type Operation = {
  parameters?: Array<{ in: string }>;
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, { description: string; headers?: object; content?: object }>;
  [extension: `x-${string}`]: unknown;
};

/** Set on an operation by @RateLimited: its own 429 text, and whether it hashes a password. */
export const RATE_LIMIT_EXTENSION = 'x-rate-limit';
export interface RateLimitExtension {
  description: string;
  hashesPassword: boolean;
}
/** Set on an operation by @Roles. */
export const ROLES_EXTENSION = 'x-roles';
export const ALSO_ANSWERS_EXTENSION = 'x-also-answers';

/**
 * Documents error answers of a route that its shape does not tell (a public route's 401 for bad
 * credentials, say), in the error schema; one use per route, listing every such status. An
 * @ApiResponse would do it too, but would drop the route's default success answer.
 */
export function AlsoAnswers(answers: Record<number, string>): MethodDecorator {
  return ApiExtension(ALSO_ANSWERS_EXTENSION, answers);
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const WRITES = new Set(['post', 'put', 'patch', 'delete']);

const RETRY_AFTER = { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } };

const ERROR_SCHEMA = {
  type: 'object',
  description: 'The one error shape of the API; some errors add fields of their own.',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', example: 'Bad Request' },
    message: {
      description: 'A sentence, or one per failed rule for validation errors',
      oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    },
  },
};

/**
 * Adds to every operation of the API the error answers the shared pipeline can give it, in the
 * one error schema, so that no route, however new, answers a status its documentation lacks:
 * 400 (validation, malformed ids and JSON) when it takes input, 401 when it needs a token, 403
 * when it needs a role, 404 when it addresses a resource, 409 when it writes, 413 when it takes
 * a body, 429 (rate limits, with `Retry-After`) and 503 (a backing service down, or the server
 * shedding load) everywhere. Answers a route documents itself are kept. Routes outside the API
 * prefix (`/health`) are not throttled and document their own answers.
 */
export function documentErrorResponses(document: OpenAPIObject, apiPrefix: string): OpenAPIObject {
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.ErrorResponse = ERROR_SCHEMA;
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };

  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith(`/${apiPrefix}/`)) continue;
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const rateLimit = operation[RATE_LIMIT_EXTENSION] as RateLimitExtension | undefined;
      const alsoAnswers = (operation[ALSO_ANSWERS_EXTENSION] ?? {}) as Record<string, string>;
      delete operation[RATE_LIMIT_EXTENSION];
      delete operation[ALSO_ANSWERS_EXTENSION];
      const add = (status: number, description: string, headers?: object) => {
        operation.responses[status] ??= { description, ...(headers ? { headers } : {}) };
      };

      for (const [status, description] of Object.entries(alsoAnswers)) {
        add(Number(status), description, Number(status) === 429 ? { 'Retry-After': { ...RETRY_AFTER, required: true } } : undefined);
      }
      const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
      if (takesInput) add(400, 'Invalid input: a field breaks a rule, an id is malformed, or the JSON is');
      if ((operation.security?.length ?? 0) > 0) add(401, 'No token, or an invalid or expired one');
      if (operation[ROLES_EXTENSION]) add(403, `Needs the role ${(operation[ROLES_EXTENSION] as string[]).join(' or ')}`);
      if (operation.parameters?.some((parameter) => parameter.in === 'path')) add(404, 'No such resource, or not yours');
      if (WRITES.has(method)) add(409, 'Conflicts with the current state: a duplicate unique value, or a rule of the resource');
      if (operation.requestBody !== undefined) add(413, 'The body is too large');
      add(429, rateLimit?.description ?? GLOBAL_LIMIT, { 'Retry-After': { ...RETRY_AFTER, required: true } });
      add(
        503,
        rateLimit?.hashesPassword
          ? 'Too many password hashes in progress (PASSWORD_HASH_CONCURRENCY running, PASSWORD_HASH_QUEUE waiting): ' +
              'retry after `Retry-After` seconds; or MongoDB or Redis is unreachable'
          : 'MongoDB or Redis is unreachable; try again shortly',
        { 'Retry-After': RETRY_AFTER },
      );

      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !response.content) response.content = errorContent;
      }
    }
  }
  return document;
}

export const GLOBAL_LIMIT =
  `Rate limited: at most THROTTLE_LIMIT_PER_MINUTE (default ${new EnvironmentVariables().THROTTLE_LIMIT_PER_MINUTE}) ` +
  'requests per minute per client (an IPv6 /64 or an IPv4 address), counted over all routes together.';
