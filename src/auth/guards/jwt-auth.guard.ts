import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { GUEST_ALLOWED_KEY, IS_PUBLIC_KEY } from '@app/common';
import type { Request } from 'express';

/** Global: every route needs a valid access token unless it is marked `@Public()`, or `@GuestAllowed()` and sent without one. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const guestAllowed = this.reflector.getAllAndOverride<boolean>(GUEST_ALLOWED_KEY, [context.getHandler(), context.getClass()]);
    if (guestAllowed && context.switchToHttp().getRequest<Request>().headers.authorization === undefined) return true;
    return super.canActivate(context);
  }
}
