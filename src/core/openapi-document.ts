import type { OpenAPIObject } from '@nestjs/swagger';
import { documentErrorResponses } from './openapi-errors';

const SCHEMA_REF = '#/components/schemas/';

/**
 * What the generated OpenAPI document does not say by itself, added to it: the error answers of
 * every route (openapi-errors.ts), and request bodies as the validation pipe takes them.
 */
export function completeOpenApiDocument(document: OpenAPIObject, apiPrefix: string): OpenAPIObject {
  return closeRequestBodies(documentErrorResponses(document, apiPrefix));
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
