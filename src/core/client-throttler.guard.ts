import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { LimitReachedError } from '@app/common';

/**
 * The library's guard, answering every throttler's 429 the same way: the API's error shape and
 * a plain `Retry-After` (the library names it `Retry-After-<throttler>` for named throttlers,
 * which clients do not read).
 */
@Injectable()
export class ClientThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_context: ExecutionContext, detail: { timeToBlockExpire: number }): Promise<void> {
    throw new LimitReachedError('Too many requests; try again later', Math.max(detail.timeToBlockExpire, 1));
  }
}
