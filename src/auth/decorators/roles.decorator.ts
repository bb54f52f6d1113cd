import { SetMetadata } from '@nestjs/common';
import type { Role } from '../../users/schemas/user.schema';

export const ROLES_KEY = 'roles';

/** Restricts a route (or a whole controller) to the given roles; enforced by the global RolesGuard. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
