import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { OrderLifecycleModule } from '../orders/order-lifecycle.module';
import { UsersModule } from '../users/users.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OrderEmailsProcessor } from './order-emails.processor';

/**
 * The `order-event` handler: order events become emails. Loaded by the API and the worker, as
 * every process that loads the order lifecycle (which produces `order-event`) must: the explorer
 * refuses to start a process that declares the job without its handler.
 */
@Module({
  imports: [NotificationsModule, OrderLifecycleModule, UsersModule, JobsModule.forFeature(['order-event'])],
  providers: [OrderEmailsProcessor],
})
export class OrderEmailsModule {}
