import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OrderLifecycleModule } from '../orders/order-lifecycle.module';
import { PaymentWebhooksController } from './payment-webhooks.controller';
import { PaymentWebhooksService } from './payment-webhooks.service';
import { PaymentsModule } from './payments.module';
import { PaymentEventRecord, PaymentEventRecordSchema } from './schemas/payment-event-record.schema';

/** The webhook endpoint: separate from PaymentsModule, which orders use to create and refund payments. */
@Module({
  imports: [MongooseModule.forFeature([{ name: PaymentEventRecord.name, schema: PaymentEventRecordSchema }]), PaymentsModule, OrderLifecycleModule],
  controllers: [PaymentWebhooksController],
  providers: [PaymentWebhooksService],
})
export class PaymentWebhooksModule {}
