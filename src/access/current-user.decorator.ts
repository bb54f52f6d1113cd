import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Role } from './roles';

/** Who is calling: set by the JWT strategy once the token and its session are verified. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
  /** The email the user logged in with: names the actor of admin changes (audit log). */
  email: string;
  /** The user's session generation the session began in (RolesGuard checks it for admin routes). */
  sessionGeneration: number;
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => context.switchToHttp().getRequest().user,
);
