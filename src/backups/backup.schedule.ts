import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { QueueWorkerGate } from '../jobs/queue-worker-gate';
import { BackupService } from './backup.service';

export const BACKUP_QUEUE = 'backups';
export const SCHEDULED_BACKUP_JOB = 'scheduled-backup';

/**
 * The daily backup, one mechanism only: a Bull repeatable job. Every worker registers the same
 * repeat (same name, job id and cron → one entry in Redis), and each occurrence is one job with
 * a deterministic id, so however many workers run, each scheduled backup is taken once. A
 * worker killed mid-backup leaves no manifest; Bull hands the stalled job to another worker.
 */
@Injectable()
export class BackupSchedule implements OnApplicationBootstrap {
  private readonly logger = new Logger(BackupSchedule.name);
  private readonly cron: string;

  constructor(
    @InjectQueue(BACKUP_QUEUE) private readonly queue: Queue,
    private readonly backups: BackupService,
    private readonly gate: QueueWorkerGate,
    config: AppConfig,
  ) {
    this.cron = config.get('BACKUP_CRON');
  }

  onApplicationBootstrap(): void {
    // Without an 'error' listener a lost Redis connection would crash the process.
    this.queue.on('error', (error) => this.logger.warn(`Backup queue error: ${error.message}`));
    if (!this.gate.runsJobs) return;
    this.queue.on('failed', (job, error) => this.logger.error(`Scheduled backup ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`));
    // The promise rejects when the queue closes before it started (a SIGTERM right after start).
    this.queue.process(SCHEDULED_BACKUP_JOB, 1, (job: Job) => this.take(job)).catch((error: Error) => this.logger.warn(`Backup queue stopped: ${error.message}`));
    // Not awaited: a worker must start (and serve its other queues) while Redis is still away.
    void this.schedule().catch((error: Error) => this.logger.error(`Could not schedule the backup: ${error.message}`));
  }

  private async take(job: Job): Promise<string> {
    const scheduledFor = new Date((job.opts as { prevMillis?: number }).prevMillis ?? job.timestamp).toISOString();
    const manifest = await this.backups.run({ kind: 'schedule', jobId: String(job.id), scheduledFor });
    return manifest.id;
  }

  /** Registers the configured cron and drops repeats left by an earlier cron (or by `off`). */
  private async schedule(): Promise<void> {
    for (const repeat of await this.queue.getRepeatableJobs()) {
      if (repeat.name === SCHEDULED_BACKUP_JOB && repeat.cron !== this.cron) await this.queue.removeRepeatableByKey(repeat.key);
    }
    if (this.cron === 'off') {
      this.logger.log('Scheduled backups are off (BACKUP_CRON=off)');
      return;
    }
    await this.queue.add(
      SCHEDULED_BACKUP_JOB,
      {},
      {
        jobId: SCHEDULED_BACKUP_JOB,
        repeat: { cron: this.cron },
        // An interrupted backup leaves no manifest, so taking it again is safe.
        attempts: 3,
        backoff: { type: 'exponential', delay: 60_000 },
        removeOnComplete: 100,
        removeOnFail: 100,
      },
    );
    this.logger.log(`Backups scheduled: ${this.cron}`);
  }
}
