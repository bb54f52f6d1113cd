import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { MailProcessor } from './mail.processor';
import { MailQueue } from './mail.queue';
import { MailerService } from './mailer.service';
import { MAIL_QUEUE } from './mail.types';
import { QueueWorkerGate } from './queue-worker-gate';

@Module({
  imports: [BullModule.registerQueue({ name: MAIL_QUEUE })],
  providers: [MailQueue, MailerService, MailProcessor, QueueWorkerGate],
  exports: [MailQueue, MailerService, QueueWorkerGate, BullModule],
})
export class NotificationsModule {}
