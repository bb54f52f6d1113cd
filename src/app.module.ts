import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AllExceptionsFilter } from '@app/common';
import { AppConfig } from './config/app-config';
import type Redis from 'ioredis';
import { CoreModule } from './core/core.module';
import { ClientThrottlerGuard } from './core/client-throttler.guard';
import { throttlerOptions } from './core/rate-limits';
import { REDIS } from './redis/redis.module';
import { AuthModule } from './auth/auth.module';
import { HealthModule } from './health/health.module';
import { QueueDashboardModule } from './queue-dashboard/queue-dashboard.module';
import { ProductsModule } from './products/products.module';
import { StockMovementRelayModule } from './products/stock-movements/stock-movement-relay.module';
import { SearchModule } from './search/search.module';
import { UsersModule } from './users/users.module';
import { CartModule } from './cart/cart.module';
import { OrdersModule } from './orders/orders.module';
import { OrderEmailsModule } from './order-emails/order-emails.module';
import { PaymentWebhooksModule } from './payments/payment-webhooks.module';
import { ReviewsModule } from './reviews/reviews.module';
import { AuditModule } from './audit/audit.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { PricingAdminModule } from './pricing/pricing-admin.module';

/** The HTTP API: every domain module with its controllers, on top of the shared core. */
@Module({
  imports: [
    CoreModule.forRoot('api'),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis) => throttlerOptions(config, redis),
    }),
    HealthModule,
    AuthModule,
    UsersModule,
    ProductsModule,
    StockMovementRelayModule,
    SearchModule,
    CartModule,
    OrdersModule,
    OrderEmailsModule,
    PaymentWebhooksModule,
    QueueDashboardModule,
    ReviewsModule,
    AuditModule,
    WebhooksModule,
    PricingAdminModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: ClientThrottlerGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
})
export class AppModule {}
