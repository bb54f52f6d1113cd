import { Module } from '@nestjs/common';
import { BackupScheduleModule } from './backups/backup-schedule.module';
import { CoreModule } from './core/core.module';
import { EmailVerificationModule } from './auth/email-verification/email-verification.module';
import { PasswordResetModule } from './auth/password-reset/password-reset.module';
import { NotificationsModule } from './notifications/notifications.module';
import { OrderEmailsModule } from './order-emails/order-emails.module';
import { OrderLifecycleModule } from './orders/order-lifecycle.module';
import { StockMovementRelayModule } from './products/stock-movements/stock-movement-relay.module';
import { WebhookDeliveriesModule } from './webhooks/webhook-deliveries.module';

/** The queue worker: the same core and domain services as the API, no HTTP controllers. */
@Module({
  imports: [CoreModule.forRoot('worker'), NotificationsModule, PasswordResetModule, EmailVerificationModule, BackupScheduleModule, OrderLifecycleModule, OrderEmailsModule, WebhookDeliveriesModule, StockMovementRelayModule],
})
export class WorkerModule {}
