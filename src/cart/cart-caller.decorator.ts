import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiSecurity } from '@nestjs/swagger';
import { InvalidInputError } from '@app/common';
import type { Request } from 'express';
import type { AuthUser } from '../access/current-user.decorator';
import type { CartCaller as Caller } from './cart.service';

export const CART_TOKEN_HEADER = 'X-Cart-Token';
/** What the shop issues (43 base64url characters for 256 bits), with room to grow; also the header's `pattern` in the OpenAPI document. */
export const CART_TOKEN_PATTERN = '^[A-Za-z0-9_-]{22,128}$';
const CART_TOKEN = new RegExp(CART_TOKEN_PATTERN);

/** The optional `X-Cart-Token` header; a malformed one → 400. */
export function cartTokenOf(request: Request): string | undefined {
  const value = request.headers[CART_TOKEN_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !CART_TOKEN.test(value)) throw new InvalidInputError(`${CART_TOKEN_HEADER} is malformed`);
  return value;
}

/** Who calls a cart route: the logged-in account, and/or the guest cart token sent. */
export const CartCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
  return { userId: request.user?.id, cartToken: cartTokenOf(request) };
});

/** Documents the header on a route that takes it. */
export const ApiCartToken = (description: string) =>
  ApiHeader({ name: CART_TOKEN_HEADER, required: false, description, schema: { type: 'string', pattern: CART_TOKEN_PATTERN } });

/** The OpenAPI security scheme of the guest cart token (an API key in the `X-Cart-Token` header). */
export const CART_TOKEN_SECURITY = 'cartToken';

/**
 * Documents a `@GuestAllowed()` route's (or controller's) access: a login (the bearer lock) or a
 * guest cart's token, as alternatives, so that a client generated from the document lets guests
 * call it.
 */
export const ApiGuestAccess = () => ApiSecurity(CART_TOKEN_SECURITY);

/** Beside ApiGuestAccess: the route also takes neither (the first add opens a guest cart). */
export const ApiOpensGuestCart = () => ApiSecurity({});

/** The optional `X-Cart-Token` alone (login and registration take the guest cart over with it). */
export const CartToken = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined =>
  cartTokenOf(context.switchToHttp().getRequest<Request>()),
);
