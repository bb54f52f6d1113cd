import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { NotAuthenticatedError } from '@app/common';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { AuthUser } from '../access/current-user.decorator';
import { SessionsService } from '../access/sessions.service';
import type { AccessTokenClaims } from './tokens.service';

export const JWT_ALGORITHM = 'HS256';

/**
 * Verifies the signature and expiry with the pinned algorithm (so `alg: none` or a swapped
 * algorithm is refused), then checks that the token's session still exists: logout and
 * password reset end a token before it expires.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor(
    config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A key object, not the secret's text: given text, jsonwebtoken first tries it as a public
      // key on every request (createPublicKey throws, with its stack trace) before taking it as
      // the secret, about 2 % of an authenticated request's CPU. passport-jwt's types predate
      // key objects; it hands the key to jsonwebtoken.verify as is, which takes one.
      secretOrKey: createSecretKey(Buffer.from(config.get('JWT_ACCESS_SECRET'))) as unknown as Buffer,
      algorithms: [JWT_ALGORITHM],
      ignoreExpiration: false,
    });
  }

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthUser> {
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') throw new NotAuthenticatedError('Unauthorized');
    const session = await this.sessions.findActive(claims.sid, claims.sub);
    if (!session) throw new NotAuthenticatedError('Session has ended; log in again');
    return { id: session.userId, role: session.role, sessionId: session.id, email: session.email };
  }
}
