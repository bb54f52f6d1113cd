import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';

/** Trims a string (or each string of an array) before validation; other values pass unchanged. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value === 'string') return value.trim();
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item.trim() : item));
    return value;
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
