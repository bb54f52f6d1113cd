import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Session } from '../access/sessions.service';

/** Claims of an access token: who, with which role, in which login session. */
export interface AccessTokenClaims {
  sub: string;
  role: string;
  sid: string;
}

@Injectable()
export class TokensService {
  constructor(private readonly jwt: JwtService) {}

  issueAccessToken(session: Pick<Session, 'id' | 'userId' | 'role'>): Promise<string> {
    const claims: AccessTokenClaims = { sub: session.userId, role: session.role, sid: session.id };
    return this.jwt.signAsync(claims);
  }
}
