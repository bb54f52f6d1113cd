import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import { JWT_ALGORITHM } from './jwt.strategy';
import { TokensService } from './tokens.service';

describe('TokensService', () => {
  const secret = 's'.repeat(32);
  const service = new TokensService(new JwtService({ secret, signOptions: { algorithm: JWT_ALGORITHM, expiresIn: 900 } }));

  it('issues an HS256 access token naming the user, role and session, valid for the configured time', async () => {
    const token = await service.issueAccessToken({ id: 'session-1', userId: 'user-1', role: 'admin' });
    const claims = jwt.verify(token, secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: 'user-1', role: 'admin', sid: 'session-1' });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
  });

  it('produces tokens that fail verification with another secret', async () => {
    const token = await service.issueAccessToken({ id: 's', userId: 'u', role: 'customer' });
    expect(() => jwt.verify(token, 'x'.repeat(32), { algorithms: ['HS256'] })).toThrow(/invalid signature/);
  });
});
