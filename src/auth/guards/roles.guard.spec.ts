import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, NotAllowedError, NotAuthenticatedError } from '@app/common';
import { Roles } from '../../access/roles.decorator';
import type { UsersService } from '../../users/users.service';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

class AdminOnly {
  @Roles('admin')
  handler() {}
  open() {}
}

function contextFor(handler: () => void, user?: { role: string; id?: string; sessionId?: string; sessionGeneration?: number }): ExecutionContext {
  return {
    getHandler: () => handler,
    getClass: () => AdminOnly,
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

describe('RolesGuard', () => {
  /** The role stored with the user for the asked generation (null: gone or generation moved). */
  let stored: string | null;
  const roleForSession = jest.fn(async () => stored);
  const guard = new RolesGuard(new Reflector(), { roleForSession } as unknown as UsersService);
  const admin = { role: 'admin', id: 'user-1', sessionId: 'session-1', sessionGeneration: 2 };

  beforeEach(() => {
    stored = 'admin';
    roleForSession.mockClear();
  });

  it('lets any authenticated caller through a route without @Roles, reading nothing', async () => {
    await expect(guard.canActivate(contextFor(AdminOnly.prototype.open, { role: 'customer' }))).resolves.toBe(true);
    expect(roleForSession).not.toHaveBeenCalled();
  });

  it('admits the named role when the user still has it in the session\'s generation', async () => {
    await expect(guard.canActivate(contextFor(AdminOnly.prototype.handler, admin))).resolves.toBe(true);
    expect(roleForSession).toHaveBeenCalledWith('user-1', 'session-1', 2);
  });

  it('refuses other roles and callers without a user with 403, reading nothing', async () => {
    await expect(guard.canActivate(contextFor(AdminOnly.prototype.handler, { role: 'customer' }))).rejects.toThrow(NotAllowedError);
    await expect(guard.canActivate(contextFor(AdminOnly.prototype.handler))).rejects.toThrow(NotAllowedError);
    expect(roleForSession).not.toHaveBeenCalled();
  });

  it('refuses a session the user has none of any more (its deletion lost by Redis) with 401', async () => {
    stored = null;
    await expect(guard.canActivate(contextFor(AdminOnly.prototype.handler, admin))).rejects.toThrow(NotAuthenticatedError);
  });

  it('goes by the stored role over the session\'s', async () => {
    stored = 'customer';
    await expect(guard.canActivate(contextFor(AdminOnly.prototype.handler, admin))).rejects.toThrow(NotAllowedError);
  });
});

describe('JwtAuthGuard', () => {
  it('skips authentication for @Public() routes without touching passport', () => {
    const reflector = new Reflector();
    const publicHandler = () => undefined;
    Reflect.defineMetadata(IS_PUBLIC_KEY, true, publicHandler);
    const guard = new JwtAuthGuard(reflector);
    expect(guard.canActivate(contextFor(publicHandler))).toBe(true);
  });
});
