import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ROLES_EXTENSION } from '../core/openapi-errors';
import type { Role } from './roles';

export const ROLES_KEY = 'roles';

/**
 * Restricts a route (or a whole controller) to the given roles; enforced by the global RolesGuard,
 * and documented (the OpenAPI document gets the 403 answer from it).
 */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension(ROLES_EXTENSION, roles));
