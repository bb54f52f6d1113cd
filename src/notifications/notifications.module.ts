import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { MailProcessor } from './mail.processor';
import { MailerService } from './mailer.service';

@Module({
  imports: [JobsModule.forFeature(['send-email'])],
  providers: [MailerService, MailProcessor],
  exports: [MailerService, JobsModule],
})
export class NotificationsModule {}
