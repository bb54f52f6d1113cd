import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobsModule } from '../jobs/jobs.module';
import { PaymentProvidersModule } from '../payment-providers/payment-providers.module';
import { InventoryModule } from '../products/inventory.module';
import { PricingModule } from '../pricing/pricing.module';
import { OrderEffects } from './effects/order-effects';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrderStore } from './order.store';
import { OrderMaintenance } from './order-maintenance';
import { OutboxRelay } from './outbox/outbox-relay';
import { OrderEffectRecord, OrderEffectRecordSchema } from './schemas/order-effect-record.schema';
import { Order, OrderSchema } from './schemas/order.schema';

/**
 * The order lifecycle without HTTP: the API uses it through OrdersModule, the worker runs its
 * maintenance job. It produces `order-event` jobs (the outbox relay) and declares them, so a
 * process that loads it without their handler (OrderEmailsModule) refuses to start instead of
 * piling up events nobody sends.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Order.name, schema: OrderSchema },
      { name: OrderEffectRecord.name, schema: OrderEffectRecordSchema },
    ]),
    JobsModule.forFeature(['orders-maintenance', 'order-event', 'order-effects', 'webhook-fanout']),
    InventoryModule,
    PaymentProvidersModule,
    PricingModule,
  ],
  providers: [OrderStore, OrderLifecycle, OrderEffects, OutboxRelay, OrderMaintenance],
  exports: [OrderStore, OrderLifecycle, OutboxRelay, OrderMaintenance],
})
export class OrderLifecycleModule {}
