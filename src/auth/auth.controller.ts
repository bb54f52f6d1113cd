import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';
import { AlsoAnswers } from '../core/openapi-errors';
import { RateLimited } from '../core/rate-limits';
import { ApiCartToken, CartToken } from '../cart/cart-caller.decorator';
import { toUserResponse, UserResponseDto } from '../users/dto/user.dto';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import {
  AuthResponseDto,
  ForgotPasswordDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  TokenPairDto,
  VerifyEmailDto,
} from './dto/auth.dto';
import { EmailVerificationService } from './email-verification/email-verification.service';
import { PasswordResetService } from './password-reset/password-reset.service';

const MERGES_CART =
  'A guest cart to take over: its lines join the account\'s cart (summed per line, capped at what is sellable, a capped line ' +
  'flagged `cappedAtMerge`) and the token stops working; an unknown or already used token merges nothing';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwordReset: PasswordResetService,
    private readonly users: UsersService,
    private readonly verification: EmailVerificationService,
  ) {}

  /** Creates a customer account and signs it in. */
  @Public()
  @Post('register')
  @RateLimited('register')
  @ApiCartToken(MERGES_CART)
  register(@Body() dto: RegisterDto, @CartToken() cartToken?: string): Promise<AuthResponseDto> {
    return this.auth.register(dto, cartToken);
  }

  @Public()
  @Post('login')
  @RateLimited('login')
  @AlsoAnswers({ 401: 'Invalid email or password' })
  @HttpCode(200)
  @ApiCartToken(MERGES_CART)
  login(@Body() dto: LoginDto, @Ip() ip: string, @CartToken() cartToken?: string): Promise<AuthResponseDto> {
    return this.auth.login(dto, ip, cartToken);
  }

  /** Exchanges a refresh token for a new pair; the presented token stops working. */
  @Public()
  @Post('refresh')
  @AlsoAnswers({ 401: 'Invalid, expired or already used refresh token' })
  @HttpCode(200)
  refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  /** Ends this login session: its access and refresh tokens stop working at once. */
  @ApiBearerAuth()
  @Post('logout')
  @HttpCode(204)
  logout(@CurrentUser() user: AuthUser): Promise<void> {
    return this.auth.logout(user.sessionId, user.id);
  }

  @ApiBearerAuth()
  @Get('me')
  async me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return toUserResponse(await this.users.getById(user.id));
  }

  /** Always 202, whether or not the email has an account; sends a reset email when it does. */
  @Public()
  @Post('password/forgot')
  @RateLimited('password-forgot')
  @HttpCode(202)
  forgotPassword(@Body() dto: ForgotPasswordDto): Promise<void> {
    return this.passwordReset.requestReset(dto.email);
  }

  /** Sets a new password with the emailed token (single use) and signs out every session. */
  @Public()
  @Post('password/reset')
  @RateLimited('password-reset')
  @HttpCode(204)
  resetPassword(@Body() dto: ResetPasswordDto): Promise<void> {
    return this.passwordReset.reset(dto.token, dto.password);
  }

  /** Confirms the account's email with the emailed token (single use): `user.emailVerified` becomes true. */
  @Public()
  @Post('email/verify')
  @AlsoAnswers({ 400: 'The token is invalid, expired or already used' })
  @HttpCode(204)
  verifyEmail(@Body() dto: VerifyEmailDto): Promise<void> {
    return this.verification.verify(dto.token);
  }

  /** Sends the verification email again (at most 5 an hour, then 429 with `Retry-After`). */
  @ApiBearerAuth()
  @Post('email/verify/resend')
  @AlsoAnswers({ 429: 'Five verification emails were asked for within the hour; retry after `Retry-After` seconds' })
  @HttpCode(202)
  resendVerification(@CurrentUser() user: AuthUser): Promise<void> {
    return this.verification.resend(user.id);
  }
}
