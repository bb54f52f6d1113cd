import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AppConfig } from '../config/app-config';
import { CartModule } from '../cart/cart.module';
import { UsersModule } from '../users/users.module';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { JWT_ALGORITHM, JwtStrategy } from './jwt.strategy';
import { LoginAttemptsService } from './login-attempts.service';
import { EmailVerificationModule } from './email-verification/email-verification.module';
import { PasswordResetModule } from './password-reset/password-reset.module';
import { SessionsModule } from '../access/sessions.module';
import { TokensService } from './tokens.service';

@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.get('JWT_ACCESS_SECRET'),
        signOptions: { algorithm: JWT_ALGORITHM, expiresIn: config.get('JWT_ACCESS_TTL_SECONDS') },
        verifyOptions: { algorithms: [JWT_ALGORITHM] },
      }),
    }),
    UsersModule,
    CartModule,
    SessionsModule,
    PasswordResetModule,
    EmailVerificationModule,
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    TokensService,
    LoginAttemptsService,
    AdminBootstrapService,
    JwtStrategy,
    // Order matters: authenticate first, then check the role.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
