import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { CronSetting, JOBS, JobName, JobSchedule } from './job.registry';
import { JobsExplorer } from './jobs.explorer';
import { QueueWorkerGate } from './queue-worker-gate';

/**
 * Starts every job the registry gives a `schedule`, in each process that runs jobs and handles it.
 * Every such process schedules the same occurrences under the same job ids, so each occurrence is
 * one job, taken by whichever worker is free; a run that fails stays in its queue (dashboard).
 *
 * - `everyMs` (or `everyMsSetting`, the interval read from a setting): one job per interval slot, the slot in the job id. (Bull's `repeat: { every }`
 *   keeps the schedule as delayed jobs, whose timers raced a quick shutdown with "Connection is
 *   closed" errors; a slot id needs no delayed jobs.)
 * - `cronSetting`: a Bull repeatable job, one entry in Redis for all workers; each occurrence's job
 *   carries its time (`opts.prevMillis`). Repeats of an earlier cron (or of `off`) are dropped.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('JobScheduler');
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly explorer: JobsExplorer,
    private readonly gate: QueueWorkerGate,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.gate.runsJobs) return;
    for (const job of this.explorer.declaredJobs()) {
      const schedule: JobSchedule | undefined = JOBS[job].schedule;
      if (!schedule) continue;
      if ('everyMs' in schedule) this.every(job, schedule.everyMs);
      else if ('everyMsSetting' in schedule) this.every(job, this.config.get(schedule.everyMsSetting));
      // Not awaited: a worker must start (and serve its other queues) while Redis is still away.
      else void this.cron(job, schedule.cronSetting).catch((error: Error) => this.logger.error(`Could not schedule job '${job}': ${error.message}`));
    }
  }

  beforeApplicationShutdown(): void {
    this.timers.forEach((timer) => clearInterval(timer));
  }

  private every(job: JobName, everyMs: number): void {
    const timer = setInterval(() => void this.enqueueSlot(job, everyMs), everyMs);
    timer.unref();
    this.timers.push(timer);
    this.logger.log(`Scheduled job '${job}': every ${everyMs / 1000} s`);
  }

  private async enqueueSlot(job: JobName, everyMs: number): Promise<void> {
    const slot = Math.floor(Date.now() / everyMs);
    try {
      await this.queueOf(job).add(job, {}, { ...JOBS[job].options, jobId: `${job}:${slot}` });
    } catch (error) {
      // Redis down: the next slot enqueues again; nothing is lost meanwhile.
      this.logger.warn(`Could not enqueue job '${job}': ${(error as Error).message}`);
    }
  }

  private async cron(job: JobName, setting: CronSetting): Promise<void> {
    const cron = this.config.get(setting);
    const queue = this.queueOf(job);
    for (const repeat of await queue.getRepeatableJobs()) {
      if (repeat.name === job && repeat.cron !== cron) await queue.removeRepeatableByKey(repeat.key);
    }
    if (cron === 'off') {
      this.logger.log(`Job '${job}' is not scheduled (${setting}=off)`);
      return;
    }
    await queue.add(job, {}, { ...JOBS[job].options, jobId: job, repeat: { cron } });
    this.logger.log(`Scheduled job '${job}': ${cron}`);
  }

  private queueOf(job: JobName): Queue {
    return this.explorer.queue(JOBS[job].queue);
  }
}
