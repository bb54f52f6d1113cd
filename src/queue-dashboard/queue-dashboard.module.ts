import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule, type BullBoardModuleOptions } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { SessionsModule } from '../access/sessions.module';
import { UsersModule } from '../users/users.module';
import { QUEUE_NAMES } from '../jobs/job.registry';
import { AdminQueueDashboardController } from './admin-queue-dashboard.controller';
import { QUEUE_DASHBOARD_ROUTE, QueueDashboardAccess } from './queue-dashboard-access';

@Module({
  imports: [SessionsModule, UsersModule],
  providers: [QueueDashboardAccess],
  exports: [QueueDashboardAccess],
})
class QueueDashboardAccessModule {}

/** Bull Board for admins at /api/v1/admin/queues (API process only), every queue of the registry. */
@Module({
  imports: [
    QueueDashboardAccessModule,
    BullBoardModule.forRootAsync({
      imports: [QueueDashboardAccessModule],
      inject: [QueueDashboardAccess],
      useFactory: (access: QueueDashboardAccess) => ({
        route: QUEUE_DASHBOARD_ROUTE,
        // @bull-board/express 9.10.1 pins its own copy of @bull-board/api (9.10.1) while the Nest
        // module wants ^9.10.2: the same classes, declared twice, so only the types disagree.
        adapter: ExpressAdapter as unknown as BullBoardModuleOptions['adapter'],
        middleware: access.middleware,
      }),
    }),
    BullBoardModule.forFeature(...QUEUE_NAMES.map((name) => ({ name, adapter: BullAdapter }))),
  ],
  controllers: [AdminQueueDashboardController],
})
export class QueueDashboardModule {}
