import { Injectable } from '@nestjs/common';
import { UnauthorizedError } from '@app/common';
import { toUserResponse } from '../users/dto/user.dto';
import { UserDocument } from '../users/schemas/user.schema';
import { normalizeEmail, UsersService } from '../users/users.service';
import { AuthResponseDto, LoginDto, RegisterDto, TokenPairDto } from './dto/auth.dto';
import { LoginAttemptsService } from './login-attempts.service';
import { PasswordHasher } from './password-hasher';
import { SessionsService } from './sessions/sessions.service';
import { TokensService } from './tokens.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly attempts: LoginAttemptsService,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResponseDto> {
    const user = await this.users.create({
      email: dto.email,
      name: dto.name,
      passwordHash: await this.hasher.hash(dto.password),
    });
    return this.startSession(user);
  }

  /** Unknown email and wrong password are the same 401, in about the same time. */
  async login(dto: LoginDto, ip: string): Promise<AuthResponseDto> {
    const email = normalizeEmail(dto.email);
    const attempt = await this.attempts.reserve(email, ip);
    const user = await this.users.findByEmailWithPassword(email);
    const valid = user ? await this.hasher.verify(user.passwordHash, dto.password) : await this.hasher.verifyNothing(dto.password);
    if (!user || !valid) throw new UnauthorizedError('Invalid email or password');
    await this.attempts.succeeded(attempt);
    return this.startSession(user);
  }

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const result = await this.sessions.rotate(refreshToken);
    if (result.outcome === 'reused') {
      throw new UnauthorizedError('Refresh token was already used; the session has been ended');
    }
    if (result.outcome === 'invalid') throw new UnauthorizedError('Invalid or expired refresh token');
    return {
      accessToken: await this.tokens.issueAccessToken(result.session),
      refreshToken: result.refreshToken,
    };
  }

  async logout(sessionId: string, userId: string): Promise<void> {
    await this.sessions.revoke(sessionId, userId);
  }

  private async startSession(user: UserDocument): Promise<AuthResponseDto> {
    const { session, refreshToken } = await this.sessions.create(user.id, user.role);
    return {
      user: toUserResponse(user),
      accessToken: await this.tokens.issueAccessToken(session),
      refreshToken,
    };
  }
}
