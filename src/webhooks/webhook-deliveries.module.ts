import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobsModule } from '../jobs/jobs.module';
import { OrderLifecycleModule } from '../orders/order-lifecycle.module';
import { ProductOutboxModule } from '../products/outbox/product-outbox.module';
import { ProductStoreModule } from '../products/product-store.module';
import { WebhookDelivery, WebhookDeliverySchema } from './schemas/webhook-delivery.schema';
import { WebhookEndpoint, WebhookEndpointSchema } from './schemas/webhook-endpoint.schema';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhookLogPruning } from './webhook-log-pruning';

/**
 * The `webhook-fanout`, `webhook-delivery` and `webhook-log-prune` handlers. Loaded by the API and the worker, as
 * every process that loads the order lifecycle (whose relay produces `webhook-fanout`) must; with
 * them the product outbox relay, which produces it for product events.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: WebhookEndpoint.name, schema: WebhookEndpointSchema },
      { name: WebhookDelivery.name, schema: WebhookDeliverySchema },
    ]),
    OrderLifecycleModule,
    ProductStoreModule,
    ProductOutboxModule,
    JobsModule.forFeature(['webhook-fanout', 'webhook-delivery', 'webhook-log-prune']),
  ],
  providers: [WebhookDeliveries, WebhookLogPruning],
  exports: [WebhookDeliveries, MongooseModule],
})
export class WebhookDeliveriesModule {}
