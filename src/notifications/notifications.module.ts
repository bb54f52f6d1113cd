import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MailLedger } from './mail-ledger';
import { MailTemplates } from './mail-templates';
import { MailerService } from './mailer.service';
import { EmailRecord, EmailRecordSchema } from './schemas/email-record.schema';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: EmailRecord.name, schema: EmailRecordSchema }]),
  ],
  providers: [MailerService, MailLedger, MailTemplates],
  exports: [MailerService, MailTemplates],
})
export class NotificationsModule {}
