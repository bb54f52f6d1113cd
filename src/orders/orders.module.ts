import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { MongooseModule } from '@nestjs/mongoose';
import { CartModule } from '../cart/cart.module';
import { PaymentProvidersModule } from '../payment-providers/payment-providers.module';
import { InventoryModule } from '../products/inventory.module';
import { UsersModule } from '../users/users.module';
import { PricingModule } from '../pricing/pricing.module';
import { AdminOrdersController } from './admin-orders.controller';
import { CheckoutService } from './checkout.service';
import { OrderLifecycleModule } from './order-lifecycle.module';
import { OrderNumbers } from './order-numbers';
import { OrderLookupController } from './order-lookup.controller';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { Counter, CounterSchema } from './schemas/counter.schema';
import { UnpaidOrderSlot, UnpaidOrderSlotSchema } from './schemas/unpaid-order-slot.schema';
import { UnpaidOrderSlots } from './unpaid-order-slots';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Counter.name, schema: CounterSchema },
      { name: UnpaidOrderSlot.name, schema: UnpaidOrderSlotSchema },
    ]),
    OrderLifecycleModule,
    CartModule,
    InventoryModule,
    PaymentProvidersModule,
    UsersModule,
    AuditLogModule,
    PricingModule,
  ],
  controllers: [OrderLookupController, OrdersController, AdminOrdersController],
  providers: [CheckoutService, OrdersService, OrderNumbers, UnpaidOrderSlots],
  exports: [OrderLifecycleModule, OrdersService],
})
export class OrdersModule {}
