import { Module } from '@nestjs/common';
import { BackupStore } from './backup-store';
import { BackupService } from './backup.service';
import { RestoreService } from './restore.service';

/** Backup and restore of the database to the private backup bucket (commands and worker). */
@Module({
  providers: [BackupStore, BackupService, RestoreService],
  exports: [BackupService, RestoreService],
})
export class BackupsModule {}
