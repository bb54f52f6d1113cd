import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

const DOTTED = 'option.';
const BRACKETED = /^option\[(.*)\]$/s;

/**
 * The option filters of a search gathered into one `option` object, as the query DTO reads them:
 * `option.Size=M&option.Color=Red` (API.md) and `option[Size]=M` (OpenAPI's deepObject, what
 * generated clients send) both become `option: {Size: 'M', Color: 'Red'}`. A name given twice
 * keeps all its values, so that validation can refuse it; everything else is left as parsed.
 */
export function foldOptionFilters(query: Record<string, unknown>): Record<string, unknown> {
  const folded: Record<string, unknown> = {};
  const option: Record<string, unknown> = {};
  let found = false;
  for (const [key, value] of Object.entries(query)) {
    const name = key.startsWith(DOTTED) ? key.slice(DOTTED.length) : BRACKETED.exec(key)?.[1];
    if (name === undefined) {
      folded[key] = value;
      continue;
    }
    found = true;
    const earlier = Object.hasOwn(option, name) ? option[name] : undefined;
    // Defined, not assigned: a name like `__proto__` stays an ordinary (invalid or unmatched) entry.
    Object.defineProperty(option, name, { value: earlier === undefined ? value : [earlier, value].flat(), enumerable: true, configurable: true, writable: true });
  }
  if (!found) return query;
  // A plain `option=…` too: then the filter is malformed and validation says so.
  if (Object.hasOwn(folded, 'option')) option[''] = [folded.option].flat();
  return { ...folded, option };
}

/**
 * Express 5 parses `req.query` on every read (a getter on the prototype): the folded object is
 * set on the request itself, where Nest's `@Query()` reads it.
 */
@Injectable()
export class OptionFiltersMiddleware implements NestMiddleware {
  use(request: Request, _response: Response, next: NextFunction): void {
    const folded = foldOptionFilters(request.query as Record<string, unknown>);
    if (folded !== request.query) Object.defineProperty(request, 'query', { value: folded, configurable: true, enumerable: true, writable: true });
    next();
  }
}
