import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage, isISO31661Alpha2, ValidationTypes } from 'class-validator';
import { IS_TIMESTAMP, OBJECT_ID_PATTERN, ParseObjectIdPipe } from '@app/common';
import { ALSO_ANSWERS_EXTENSION, documentErrorResponses } from './openapi-errors';
import { type RouteArgument, RouteParamtypes } from './openapi-routes';

const SCHEMA_REF = '#/components/schemas/';

/**
 * What the generated OpenAPI document does not say by itself, added to it: the error answers of
 * every route (openapi-errors.ts), and request bodies and parameters as the validation pipe
 * takes them.
 */
export function completeOpenApiDocument(document: OpenAPIObject, apiPrefix: string, routeArguments: RouteArgument[]): OpenAPIObject {
  return closeRequestBodies(documentErrorResponses(documentValidationRules(document, routeArguments), apiPrefix));
}

type Schema = Record<string, unknown> & { $ref?: string; properties?: Record<string, Schema> };
type Parameter = { name: string; in: string; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  [ALSO_ANSWERS_EXTENSION]?: Record<number, string>;
};

/** Every code @IsISO31661Alpha2 accepts, upper case: its list is not exported, so it is asked. */
const COUNTRY_CODES = Array.from({ length: 26 * 26 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26))).filter((code) =>
  isISO31661Alpha2(code),
);

/**
 * What class-validator checks that the Swagger plugin leaves out of a property's schema, by rule
 * name; without it a client (and the fuzzer's valid data) sends what the pipe refuses with 400.
 */
const SCHEMA_OF_RULE: Record<string, (schema: Schema) => void> = {
  isInt: (schema) => {
    if (schema.type === 'number') schema.type = 'integer';
  },
  isMongoId: (schema) => {
    if (schema.type === 'string') schema.pattern = OBJECT_ID_PATTERN;
  },
  [IS_TIMESTAMP]: (schema) => {
    if (schema.type === 'string') schema.format = 'date-time';
  },
  isISO31661Alpha2: (schema) => {
    if (schema.type === 'string') schema.enum = COUNTRY_CODES;
  },
};

/**
 * Adds to the document the rules the validation pipe applies that the Swagger plugin does not
 * carry over (SCHEMA_OF_RULE), in bodies (nested DTOs too) and query strings, and the form of the
 * ids that path parameters read through ParseObjectIdPipe take. A body naming a resource by id
 * may name none: such routes also answer 404.
 */
function documentValidationRules(document: OpenAPIObject, routeArguments: RouteArgument[]): OpenAPIObject {
  const operations = new Map<string, Operation>(
    Object.values(document.paths).flatMap((item) =>
      Object.values(item)
        .filter((operation): operation is Operation & { operationId: string } => typeof operation?.operationId === 'string')
        .map((operation) => [operation.operationId, operation as Operation]),
    ),
  );
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  const named = (schema: Schema | undefined) => (schema?.$ref?.startsWith(SCHEMA_REF) ? schemas[schema.$ref.slice(SCHEMA_REF.length)] : schema);
  const describeDto = (dto: Function, schemaOf: (property: string) => Schema | undefined, seen = new Set<Function>()) => {
    if (seen.has(dto)) return;
    seen.add(dto);
    for (const metadata of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
      const schema = schemaOf(metadata.propertyName);
      if (!schema) continue;
      if (metadata.name && SCHEMA_OF_RULE[metadata.name]) SCHEMA_OF_RULE[metadata.name](metadata.each && schema.items ? (schema.items as Schema) : schema);
      if (metadata.type === ValidationTypes.NESTED_VALIDATION) {
        const nested = Reflect.getMetadata('design:type', dto.prototype, metadata.propertyName) as Function | undefined;
        const nestedSchema = named((schema.allOf as Schema[] | undefined)?.[0] ?? schema);
        if (nested && nested !== Array && nestedSchema) describeDto(nested, (property) => nestedSchema.properties?.[property], seen);
      }
    }
  };
  const namesById = (dto: Function) =>
    getMetadataStorage()
      .getTargetValidationMetadatas(dto, '', true, false)
      .some((metadata) => metadata.name === 'isMongoId');
  for (const argument of routeArguments) {
    const operation = operations.get(argument.operationId);
    if (!operation) continue;
    if (argument.kind === RouteParamtypes.PARAM) {
      const byPipe = argument.pipes.some((pipe) => pipe === ParseObjectIdPipe || pipe instanceof ParseObjectIdPipe);
      const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === argument.name);
      if (byPipe && parameter?.schema) SCHEMA_OF_RULE.isMongoId(parameter.schema);
    } else if (argument.kind === RouteParamtypes.QUERY && !argument.name) {
      describeDto(argument.type, (property) => operation.parameters?.find((p) => p.in === 'query' && p.name === property)?.schema);
    } else if (argument.kind === RouteParamtypes.BODY && !argument.name) {
      const body = named(operation.requestBody?.content?.['application/json']?.schema);
      if (body) describeDto(argument.type, (property) => body.properties?.[property]);
      if (body && namesById(argument.type)) {
        (operation[ALSO_ANSWERS_EXTENSION] ??= {})[404] ??= 'No such resource, or not yours: an id in the body names none';
      }
    }
  }
  return document;
}

/**
 * The validation pipe refuses unknown fields (forbidNonWhitelisted), in nested objects too, so
 * every schema a request body refers to gets `additionalProperties: false`, unless an answer
 * refers to it as well: an answer may carry more than a request may send. And a body without
 * required fields is optional.
 */
export function closeRequestBodies(document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const sentIn = new Set<string>();
  const answeredIn = new Set<string>();
  const collect = (node: unknown, into: Set<string>): void => {
    if (Array.isArray(node)) return node.forEach((item) => collect(item, into));
    if (node === null || typeof node !== 'object') return;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(SCHEMA_REF)) {
      const name = ref.slice(SCHEMA_REF.length);
      if (!into.has(name)) {
        into.add(name);
        collect(schemas[name], into);
      }
    }
    Object.values(node).forEach((value) => collect(value, into));
  };
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{ requestBody?: unknown; responses?: unknown }>) {
      if (typeof operation !== 'object' || operation === null) continue;
      collect(operation.requestBody, sentIn);
      collect(operation.responses, answeredIn);
    }
  }
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{ requestBody?: { required?: boolean; content?: Record<string, { schema?: { $ref?: string } }> } }>) {
      const ref = operation?.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref?.startsWith(SCHEMA_REF) ? schemas[ref.slice(SCHEMA_REF.length)] : undefined;
      // A body with no required field may be left out as a whole (as `{}`, it changes nothing).
      if (schema && !(schema.required as unknown[] | undefined)?.length) operation.requestBody!.required = false;
    }
  }
  for (const name of sentIn) {
    const schema = schemas[name];
    if (!answeredIn.has(name) && schema?.type === 'object') schema.additionalProperties = false;
  }
  return document;
}
