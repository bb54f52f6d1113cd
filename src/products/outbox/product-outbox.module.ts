import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module';
import { ProductStoreModule } from '../product-store.module';
import { ProductOutboxRelay } from './product-outbox-relay';

/**
 * The relay of product events to `webhook-fanout` and its sweep. Loaded with the webhook
 * deliveries (API and worker): a process that writes products without it (a CLI) leaves its
 * events to the worker's sweep.
 */
@Module({
  imports: [ProductStoreModule, JobsModule.forFeature(['products-maintenance'])],
  providers: [ProductOutboxRelay],
})
export class ProductOutboxModule {}
