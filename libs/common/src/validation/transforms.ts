import { Transform } from 'class-transformer';
import { getMetadataStorage, ValidateIf, ValidationTypes } from 'class-validator';

/**
 * Trims a string (or each string of an array) before validation; other values pass unchanged.
 * A string longer than the property's own length limit (`@Length`/`@MaxLength`) is left as sent,
 * so that it is refused: the OpenAPI document states the limit on what the client sends, and
 * whitespace around an overlong value must not make it fit.
 */
export const Trim = (): PropertyDecorator => (target, propertyKey) => {
  const property = String(propertyKey);
  let limit: number | null | undefined; // read once, at the first use: every decorator is in place by then
  const trimmed = (item: unknown) => {
    if (typeof item !== 'string') return item;
    limit ??= maxLengthOf(target.constructor, property);
    return limit !== null && item.length > limit ? item : item.trim();
  };
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map(trimmed) : trimmed(value)))(target, propertyKey);
};

/** The largest length `@Length(min, max)` or `@MaxLength(max)` allows on the property, or null. */
function maxLengthOf(dto: Function, property: string): number | null {
  const limits = getMetadataStorage()
    .getTargetValidationMetadatas(dto, '', true, false)
    .filter((metadata) => metadata.propertyName === property && metadata.type === ValidationTypes.CUSTOM_VALIDATION)
    .flatMap((metadata) => {
      if (metadata.name === 'isLength') return [metadata.constraints?.[1] as number | undefined];
      if (metadata.name === 'maxLength') return [metadata.constraints?.[0] as number | undefined];
      return [];
    })
    .filter((max): max is number => typeof max === 'number');
  return limits.length > 0 ? Math.min(...limits) : null;
}

/** A query-string flag: `"true"` and `"false"` become booleans; anything else is left for @IsBoolean to refuse. */
export const QueryBoolean = () =>
  Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const raw = obj[key];
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return raw;
  });

/** Trims and lower-cases an email address before validation. */
export const NormalizeEmail = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

/**
 * A field that may be left out but, when sent, must be valid: unlike @IsOptional(), null is
 * validated (and so refused) instead of slipping through into the database as a value that
 * the response schema does not allow.
 */
export const IsOmittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
