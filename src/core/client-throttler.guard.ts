import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { LimitReachedError } from '@app/common';

/**
 * The library's guard, answering every throttler's 429 the same way: the API's error shape and
 * a plain `Retry-After` (the library names it `Retry-After-<throttler>` for named throttlers,
 * which clients do not read).
 */
/**
 * Set on a request already counted against the global limit before Nest's pipeline (the
 * catalog's cache-hit fast path, catalog-fast-path.ts, counts every request it looks at). Only
 * public catalog reads carry it, which have no route limit of their own, so nothing is left to count.
 */
export const ALREADY_THROTTLED = Symbol('already throttled');

@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return context.switchToHttp().getRequest<{ [ALREADY_THROTTLED]?: true }>()[ALREADY_THROTTLED] === true;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: { timeToBlockExpire: number }): Promise<void> {
    throw new LimitReachedError('Too many requests; try again later', Math.max(detail.timeToBlockExpire, 1));
  }
}
