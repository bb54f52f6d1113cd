import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TransformerStorage from 'class-transformer/types/storage';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { routeArgumentsOf, RouteParamtypes } from '../src/core/openapi-routes';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Every property the validation pipe checks in a request body or query string is in the OpenAPI
 * document (test/openapi.snapshot.json, which openapi.e2e-spec.ts holds equal to the served one),
 * and every property the pipe requires is required there: otherwise a body valid per the
 * document is refused, and a client generated from it cannot send what the route needs.
 * Walks each route's @Body()/@Query() DTO in class-validator's metadata, nested DTOs included.
 */
type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
};
type Operation = {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};

// class-transformer ships its storage (where @Type() records nested DTO classes) without a typed entry point.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as typeof TransformerStorage;

const document = JSON.parse(readFileSync(join(__dirname, 'openapi.snapshot.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
const operations = new Map<string, Operation>(
  Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => [operation.operationId, operation])),
);

/** The properties class-validator checks on a DTO (inherited ones too), and which of them may be left out. */
function validatedProperties(dto: Function): Map<string, { optional: boolean; nested?: Function }> {
  const properties = new Map<string, { optional: boolean; nested?: Function }>();
  for (const metadata of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    const property = properties.get(metadata.propertyName) ?? { optional: false };
    // @IsOptional and @ValidateIf (IsOmittable) both skip a property that is absent.
    if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) property.optional = true;
    if (metadata.type === ValidationTypes.NESTED_VALIDATION) {
      property.nested = defaultMetadataStorage.findTypeMetadata(dto, metadata.propertyName)?.typeFunction() as Function | undefined;
    }
    properties.set(metadata.propertyName, property);
  }
  return properties;
}

function resolve(schema: Schema | undefined): Schema | undefined {
  const ref = schema?.$ref ?? schema?.allOf?.[0]?.$ref ?? schema?.items?.$ref ?? schema?.items?.allOf?.[0]?.$ref;
  return ref ? document.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
}

/** What the document lacks for a DTO body, as `where: property` lines. */
function bodyGaps(dto: Function, schema: Schema | undefined, where: string): string[] {
  const gaps: string[] = [];
  for (const [name, { optional, nested }] of validatedProperties(dto)) {
    const documented = schema?.properties?.[name];
    if (!documented) gaps.push(`${where}: ${name} is missing`);
    else if (!optional && !schema.required?.includes(name)) gaps.push(`${where}: ${name} is required by the API, optional in the document`);
    if (documented && nested) gaps.push(...bodyGaps(nested, resolve(documented), `${where}.${name}`));
  }
  return gaps;
}

function queryGaps(dto: Function, operation: Operation, where: string): string[] {
  const gaps: string[] = [];
  for (const [name, { optional }] of validatedProperties(dto)) {
    const parameter = operation.parameters?.find((candidate) => candidate.in === 'query' && candidate.name === name);
    if (!parameter) gaps.push(`${where} ?${name} is missing`);
    else if (!optional && !parameter.required) gaps.push(`${where} ?${name} is required by the API, optional in the document`);
  }
  return gaps;
}

describe('OpenAPI document against the validation rules', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('documents every property the validation pipe checks in a body or query, and requires what the pipe requires', () => {
    const gaps: string[] = [];
    const checked: string[] = [];
    for (const argument of routeArgumentsOf(t.app)) {
      // Keyed arguments (@Query('q')) are none in this API; whole DTOs are what the pipe validates.
      if ((argument.kind !== RouteParamtypes.BODY && argument.kind !== RouteParamtypes.QUERY) || argument.name) continue;
      const operation = operations.get(argument.operationId);
      if (!operation) {
        gaps.push(`${argument.operationId}: not in the document`);
        continue;
      }
      checked.push(`${argument.operationId}(${argument.type.name})`);
      if (argument.kind === RouteParamtypes.QUERY) gaps.push(...queryGaps(argument.type, operation, argument.operationId));
      else gaps.push(...bodyGaps(argument.type, resolve(operation.requestBody?.content?.['application/json']?.schema), `${argument.operationId} body`));
    }
    expect(gaps).toEqual([]);
    // The walk found the routes: a broken lookup would check nothing and pass.
    expect(checked).toEqual(expect.arrayContaining(['AdminProductsController_adjustStock(StockAdjustmentDto)', 'PaypalController_capture(PaypalCaptureDto)']));
    expect(checked.length).toBeGreaterThan(20);
  });
});
