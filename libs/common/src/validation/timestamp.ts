import { isISO8601, ValidateBy, type ValidationOptions } from 'class-validator';

/** The rule name, which the OpenAPI document maps to `format: date-time`. */
export const IS_TIMESTAMP = 'isTimestamp';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * An ISO 8601 date or date-time on a real calendar day (no 31 February). Written here because
 * class-validator's `IsDateString({ strict: true })` checks the day with `new Date(y, m, d)`,
 * which reads years 0–99 as 1900–1999 and so refuses valid moments such as `0075-01-31T08:25:01Z`,
 * while without `strict` it lets 31 February through.
 */
export function isTimestamp(value: unknown): boolean {
  if (typeof value !== 'string' || !isISO8601(value) || Number.isNaN(Date.parse(value))) return false;
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: IS_TIMESTAMP, validator: { validate: isTimestamp, defaultMessage: (args) => `${args?.property} must be an ISO 8601 date-time on a real calendar day` } },
    options,
  );
}
