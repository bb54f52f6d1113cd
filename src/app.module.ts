import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { AllExceptionsFilter } from '@app/common';
import { AppConfig } from './config/app-config';
import type Redis from 'ioredis';
import { CoreModule } from './core/core.module';
import { RedisThrottlerStorage } from './core/redis-throttler.storage';
import { REDIS } from './redis/redis.module';
import { AuthModule } from './auth/auth.module';
import { HealthModule } from './health/health.module';
import { ProductsModule } from './products/products.module';
import { UsersModule } from './users/users.module';
import { CartModule } from './cart/cart.module';
import { OrdersModule } from './orders/orders.module';
import { PaymentWebhooksModule } from './payments/payment-webhooks.module';
import { ReviewsModule } from './reviews/reviews.module';

/** The HTTP API: every domain module with its controllers, on top of the shared core. */
@Module({
  imports: [
    CoreModule.forRoot('api'),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.get('THROTTLE_LIMIT_PER_MINUTE') }],
        storage: new RedisThrottlerStorage(redis),
      }),
    }),
    HealthModule,
    AuthModule,
    UsersModule,
    ProductsModule,
    CartModule,
    OrdersModule,
    PaymentWebhooksModule,
    ReviewsModule,
  ],
  providers: [
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
})
export class AppModule {}
