import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobsModule } from '../jobs/jobs.module';
import { MailLedger } from './mail-ledger';
import { MailProcessor } from './mail.processor';
import { MailTemplates } from './mail-templates';
import { MailerService } from './mailer.service';
import { EmailRecord, EmailRecordSchema } from './schemas/email-record.schema';

@Module({
  imports: [
    JobsModule.forFeature(['send-email']),
    MongooseModule.forFeature([{ name: EmailRecord.name, schema: EmailRecordSchema }]),
  ],
  providers: [MailerService, MailLedger, MailTemplates, MailProcessor],
  exports: [MailerService, MailTemplates, JobsModule],
})
export class NotificationsModule {}
