import { Injectable } from '@nestjs/common';
import { BusyError, NotAuthenticatedError } from '@app/common';
import { CartService } from '../cart/cart.service';
import { toUserResponse } from '../users/dto/user.dto';
import { UserDocument } from '../users/schemas/user.schema';
import { normalizeEmail, UsersService } from '../users/users.service';
import { AuthResponseDto, LoginDto, RegisterDto, TokenPairDto } from './dto/auth.dto';
import { LoginAttempt, LoginAttemptsService } from './login-attempts.service';
import { PasswordHasher } from './password-hasher';
import { SessionsService } from '../access/sessions.service';
import { EmailVerificationService } from './email-verification/email-verification.service';
import { TokensService } from './tokens.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly attempts: LoginAttemptsService,
    private readonly verification: EmailVerificationService,
    private readonly cart: CartService,
  ) {}

  /** With a guest cart token, the guest cart becomes the new account's cart (CartService.mergeGuestCart). */
  async register(dto: RegisterDto, cartToken?: string): Promise<AuthResponseDto> {
    const user = await this.users.create({
      email: dto.email,
      name: dto.name,
      passwordHash: await this.hasher.hash(dto.password),
    });
    await this.verification.send(user.id);
    const signedIn = await this.startSession(user, user.sessionGeneration ?? 0);
    if (cartToken) await this.cart.mergeGuestCart(cartToken, user.id);
    return signedIn;
  }

  /** Unknown email and wrong password are the same 401, in about the same time. */
  /** With a guest cart token, a successful login merges the guest cart into the account's. */
  async login(dto: LoginDto, ip: string, cartToken?: string): Promise<AuthResponseDto> {
    const email = normalizeEmail(dto.email);
    const attempt = await this.attempts.reserve(email, ip);
    let signedIn: AuthResponseDto;
    try {
      signedIn = await this.checkAndSignIn(email, dto.password, attempt);
    } catch (error) {
      if (error instanceof BusyError) await this.attempts.notChecked(attempt);
      throw error;
    }
    if (cartToken) await this.cart.mergeGuestCart(cartToken, signedIn.user.id);
    return signedIn;
  }

  private async checkAndSignIn(email: string, password: string, attempt: LoginAttempt): Promise<AuthResponseDto> {
    const user = await this.users.findByEmail(email);
    if (!user) {
      await this.hasher.verifyNothing(password);
      throw new NotAuthenticatedError('Invalid email or password');
    }
    // The password hash, role and session generation of one read: a password reset or role
    // change moves the generation in the same write, so a login racing one either reads the new
    // password hash and role, or has its session refused (or ended at its first refresh).
    const credentials = await this.users.credentialsOf(user.id);
    if (!credentials || !(await this.hasher.verify(credentials.passwordHash, password))) {
      throw new NotAuthenticatedError('Invalid email or password');
    }
    await this.attempts.succeeded(attempt);
    user.role = credentials.role;
    return this.startSession(user, credentials.sessionGeneration);
  }

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const result = await this.sessions.rotate(refreshToken, async (userId, generation) => (await this.users.sessionGenerationOf(userId)) === generation);
    if (result.outcome === 'reused') {
      throw new NotAuthenticatedError('Refresh token was already used; the session has been ended');
    }
    if (result.outcome === 'invalid') throw new NotAuthenticatedError('Invalid or expired refresh token');
    return {
      accessToken: await this.tokens.issueAccessToken(result.session),
      refreshToken: result.refreshToken,
    };
  }

  async logout(sessionId: string, userId: string): Promise<void> {
    await this.sessions.revoke(sessionId, userId);
  }

  private async startSession(user: UserDocument, generation: number): Promise<AuthResponseDto> {
    const created = await this.sessions.create(user.id, user.role, generation, user.email);
    // Every session of this user was revoked while this login was checked (password reset,
    // role change): the credentials it checked may no longer be the valid ones.
    if (!created) throw new NotAuthenticatedError('Invalid email or password');
    const { session, refreshToken } = created;
    return {
      user: toUserResponse(user),
      accessToken: await this.tokens.issueAccessToken(session),
      refreshToken,
    };
  }
}
