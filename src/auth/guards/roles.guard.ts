import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NotAllowedError, NotAuthenticatedError } from '@app/common';
import type { Role } from '../../access/roles';
import type { AuthUser } from '../../access/current-user.decorator';
import { ROLES_KEY } from '../../access/roles.decorator';
import { UsersService } from '../../users/users.service';

/**
 * Global: runs after authentication; a route with `@Roles(...)` admits only those roles (403).
 * The role is the one stored with the user, read on every such request, for a session still of
 * the user's session generation: the session in Redis may be one whose deletion Redis lost (a
 * demotion, a password reset), and its access tokens live on until they expire. The routes with
 * roles are the admin's, few enough for one MongoDB read each.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user || !required.includes(user.role)) throw notAllowed(required);
    const role = await this.users.roleForSession(user.id, user.sessionId, user.sessionGeneration);
    if (role === null) throw new NotAuthenticatedError('Session has ended; log in again');
    if (!required.includes(role)) throw notAllowed(required);
    return true;
  }
}

function notAllowed(required: Role[]): NotAllowedError {
  return new NotAllowedError('This route needs one of the roles: ' + required.join(', '));
}
