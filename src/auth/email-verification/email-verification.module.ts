import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module';
import { NotificationsModule } from '../../notifications/notifications.module';
import { UsersModule } from '../../users/users.module';
import { EmailVerificationProcessor } from './email-verification.processor';
import { EmailVerificationService } from './email-verification.service';
import { VerificationTokens } from './verification-tokens';

/** Used by the API (ask for the email, redeem the token) and by the worker (issue and email the token). */
@Module({
  imports: [UsersModule, NotificationsModule, JobsModule.forFeature(['email-verification'])],
  providers: [EmailVerificationService, EmailVerificationProcessor, VerificationTokens],
  exports: [EmailVerificationService],
})
export class EmailVerificationModule {}
