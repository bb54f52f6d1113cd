import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OrderLifecycleModule } from '../orders/order-lifecycle.module';
import { OrdersModule } from '../orders/orders.module';
import { PaymentCaptureService } from './payment-capture.service';
import { PaymentWebhooksController } from './payment-webhooks.controller';
import { PaymentWebhooksService } from './payment-webhooks.service';
import { PaymentProvidersModule } from '../payment-providers/payment-providers.module';
import { PaypalController } from './paypal.controller';
import { PaymentEventRecord, PaymentEventRecordSchema } from './schemas/payment-event-record.schema';

/**
 * The payment routes that change orders (webhooks, PayPal's capture): separate from
 * PaymentProvidersModule, which orders use to create and refund payments.
 */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: PaymentEventRecord.name, schema: PaymentEventRecordSchema }]),
    PaymentProvidersModule,
    OrderLifecycleModule,
    OrdersModule,
  ],
  controllers: [PaymentWebhooksController, PaypalController],
  providers: [PaymentWebhooksService, PaymentCaptureService],
})
export class PaymentWebhooksModule {}
