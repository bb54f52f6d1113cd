import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { BackupSchedule } from './backup.schedule';
import { BackupsModule } from './backups.module';

/** The scheduled backup's job and handler; imported by the worker only. */
@Module({
  imports: [BackupsModule, JobsModule.forFeature(['scheduled-backup'])],
  providers: [BackupSchedule],
})
export class BackupScheduleModule {}
