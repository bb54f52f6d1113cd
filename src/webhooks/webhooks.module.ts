import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { AdminWebhooksController } from './admin-webhooks.controller';
import { WebhookDeliveriesModule } from './webhook-deliveries.module';
import { WebhooksService } from './webhooks.service';

/** Outgoing webhooks: the admin's endpoints and their delivery logs (issue 26). */
@Module({
  imports: [WebhookDeliveriesModule, AuditLogModule],
  controllers: [AdminWebhooksController],
  providers: [WebhooksService],
})
export class WebhooksModule {}
