import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** Route params that must be MongoDB ids: a malformed one is the client's mistake (400). */
@Injectable()
export class ParseObjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isObjectIdString(value)) throw new BadRequestException(`"${truncate(value)}" is not a valid id`);
    return value;
  }
}

/** Only the 24-hex form: mongoose's isValidObjectId also accepts any 12-character string. */
export const OBJECT_ID_PATTERN = '^[0-9a-fA-F]{24}$';
const OBJECT_ID = new RegExp(OBJECT_ID_PATTERN);

export function isObjectIdString(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

function truncate(value: unknown): string {
  const text = String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
