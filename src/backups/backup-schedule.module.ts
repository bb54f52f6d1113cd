import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { QueueWorkerGate } from '../jobs/queue-worker-gate';
import { BACKUP_QUEUE, BackupSchedule } from './backup.schedule';
import { BackupsModule } from './backups.module';

/** The daily backup as a Bull repeatable job; imported by the worker only. */
@Module({
  imports: [BackupsModule, BullModule.registerQueue({ name: BACKUP_QUEUE })],
  providers: [BackupSchedule, QueueWorkerGate],
})
export class BackupScheduleModule {}
