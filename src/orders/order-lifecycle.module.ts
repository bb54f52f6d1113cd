import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobsModule } from '../jobs/jobs.module';
import { PaymentsModule } from '../payments/payments.module';
import { InventoryModule } from '../products/inventory.module';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrderMaintenance } from './order-maintenance';
import { OutboxRelay } from './outbox/outbox-relay';
import { Order, OrderSchema } from './schemas/order.schema';

/**
 * The order lifecycle without HTTP: the API uses it through OrdersModule, the worker runs its
 * maintenance job.
 */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: Order.name, schema: OrderSchema }]),
    JobsModule.forFeature(['orders-maintenance']),
    InventoryModule,
    PaymentsModule,
  ],
  providers: [OrderLifecycle, OutboxRelay, OrderMaintenance],
  exports: [OrderLifecycle, OutboxRelay, OrderMaintenance, MongooseModule],
})
export class OrderLifecycleModule {}
