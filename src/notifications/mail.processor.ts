import { Injectable } from '@nestjs/common';
import { OnJob } from '../jobs/on-job.decorator';
import { MailerService } from './mailer.service';
import type { SendEmailJob } from './mail.types';

/** Sends ready-made emails queued as `send-email` jobs. */
@Injectable()
export class MailProcessor {
  constructor(private readonly mailer: MailerService) {}

  @OnJob('send-email')
  async send({ dedupeKey, message }: SendEmailJob) {
    return this.mailer.sendOnce(dedupeKey, message);
  }
}
