import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditLogModule } from '../audit/audit-log.module';
import { AdminWebhooksController } from './admin-webhooks.controller';
import { WebhookEndpoint, WebhookEndpointSchema } from './schemas/webhook-endpoint.schema';
import { WebhooksService } from './webhooks.service';

/** Outgoing webhooks: the admin's endpoints (issue 26). */
@Module({
  imports: [MongooseModule.forFeature([{ name: WebhookEndpoint.name, schema: WebhookEndpointSchema }]), AuditLogModule],
  controllers: [AdminWebhooksController],
  providers: [WebhooksService],
})
export class WebhooksModule {}
