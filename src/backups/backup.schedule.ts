import { Injectable } from '@nestjs/common';
import type { Job } from 'bull';
import { OnJob } from '../jobs/on-job.decorator';
import { BackupService } from './backup.service';

/**
 * The scheduled backup: the `scheduled-backup` job, which the JobScheduler starts at each
 * BACKUP_CRON occurrence (job registry). However many workers run, each occurrence is one job
 * and taken once. A worker killed mid-backup leaves no manifest; Bull hands the stalled job to
 * another worker.
 */
@Injectable()
export class BackupSchedule {
  constructor(private readonly backups: BackupService) {}

  @OnJob('scheduled-backup')
  async take(_data: Record<string, never>, job: Job): Promise<string> {
    const scheduledFor = new Date((job.opts as { prevMillis?: number }).prevMillis ?? job.timestamp).toISOString();
    const manifest = await this.backups.run({ kind: 'schedule', jobId: String(job.id), scheduledFor });
    return manifest.id;
  }
}
