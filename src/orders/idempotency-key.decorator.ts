import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { InvalidInputError } from '@app/common';
import type { Request } from 'express';

/** 1–128 visible ASCII characters (API.md, Checkout); also the header's `pattern` in the OpenAPI document. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,128}$';
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** The optional `Idempotency-Key` header, else 400. */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<Request>().headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new InvalidInputError('Idempotency-Key must be 1 to 128 visible ASCII characters');
  }
  return value;
});
