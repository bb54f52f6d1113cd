import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module';
import { NotificationsModule } from '../../notifications/notifications.module';
import { UsersModule } from '../../users/users.module';
import { PasswordHasher } from '../password-hasher';
import { PasswordResetProcessor } from './password-reset.processor';
import { PasswordResetService } from './password-reset.service';
import { ResetTokens } from './reset-tokens';

/** Used by the API (request, redeem) and by the worker (issue and email the token). */
@Module({
  imports: [UsersModule, NotificationsModule, JobsModule.forFeature(['password-reset'])],
  providers: [PasswordResetService, PasswordResetProcessor, PasswordHasher, ResetTokens],
  exports: [PasswordResetService, PasswordHasher],
})
export class PasswordResetModule {}
