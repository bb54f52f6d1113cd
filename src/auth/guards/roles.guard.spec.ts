import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY, NotAllowedError } from '@app/common';
import { Roles } from '../../access/roles.decorator';
import { JwtAuthGuard } from './jwt-auth.guard';
import { RolesGuard } from './roles.guard';

class AdminOnly {
  @Roles('admin')
  handler() {}
  open() {}
}

function contextFor(handler: () => void, user?: { role: string }): ExecutionContext {
  return {
    getHandler: () => handler,
    getClass: () => AdminOnly,
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

describe('RolesGuard', () => {
  const guard = new RolesGuard(new Reflector());

  it('lets any authenticated caller through a route without @Roles', () => {
    expect(guard.canActivate(contextFor(AdminOnly.prototype.open, { role: 'customer' }))).toBe(true);
  });

  it('admits the named role', () => {
    expect(guard.canActivate(contextFor(AdminOnly.prototype.handler, { role: 'admin' }))).toBe(true);
  });

  it('refuses other roles and callers without a user with 403', () => {
    expect(() => guard.canActivate(contextFor(AdminOnly.prototype.handler, { role: 'customer' }))).toThrow(NotAllowedError);
    expect(() => guard.canActivate(contextFor(AdminOnly.prototype.handler))).toThrow(NotAllowedError);
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
