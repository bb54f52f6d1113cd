import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NotAllowedError } from '@app/common';
import type { Role } from '../../access/roles';
import type { AuthUser } from '../../access/current-user.decorator';
import { ROLES_KEY } from '../../access/roles.decorator';

/** Global: runs after authentication; a route with `@Roles(...)` admits only those roles (403). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (user && required.includes(user.role)) return true;
    throw new NotAllowedError('This route needs one of the roles: ' + required.join(', '));
  }
}
