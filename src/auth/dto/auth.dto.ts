import { NormalizeEmail, Trim } from '@app/common';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { UserResponseDto } from '../../users/dto/user.dto';


// Argon2 accepts any length; the cap keeps a single request from hashing megabytes.
const PASSWORD_MAX = 128;

export class RegisterDto {
  /** Stored lower-cased; the address identifies the account. */
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** At least 8 characters. */
  @IsString()
  @Length(8, PASSWORD_MAX)
  password!: string;

  @Trim()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}

export class LoginDto {
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @Length(1, PASSWORD_MAX)
  password!: string;
}

export class RefreshDto {
  @IsString()
  @Length(1, 200)
  refreshToken!: string;
}

export class ForgotPasswordDto {
  @NormalizeEmail()
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class ResetPasswordDto {
  /** The token from the reset email. */
  @IsString()
  @Length(1, 200)
  token!: string;

  /** The new password, at least 8 characters. */
  @IsString()
  @Length(8, PASSWORD_MAX)
  password!: string;
}

export class VerifyEmailDto {
  /** The token from the verification email. */
  @IsString()
  @Length(1, 200)
  token!: string;
}

export class TokenPairDto {
  /** Short-lived JWT for `Authorization: Bearer`. */
  accessToken!: string;
  /** Opaque, single-use; exchange it at /auth/refresh for a new pair. */
  refreshToken!: string;
}

export class AuthResponseDto extends TokenPairDto {
  user!: UserResponseDto;
}
