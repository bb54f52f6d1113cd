import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { InvalidInputError } from '@app/common';
import type { Request } from 'express';

/** The optional `Idempotency-Key` header: 1–128 visible ASCII characters, else 400 (API.md, Checkout). */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<Request>().headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(value)) {
    throw new InvalidInputError('Idempotency-Key must be 1 to 128 visible ASCII characters');
  }
  return value;
});
