import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { JobName, QUEUE_NAMES } from './job.registry';
import { JobQueue } from './job-queue';
import { JobScheduler } from './job-scheduler';
import { JobDeclaration, JobsExplorer } from './jobs.explorer';
import { QueueWorkerGate } from './queue-worker-gate';

/** The queues, the producer, the explorer and the scheduler: one instance per process however often imported. */
@Module({
  imports: [
    DiscoveryModule,
    BullModule.registerQueueAsync(
      ...QUEUE_NAMES.map((name) => ({
        name,
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          settings: {
            // A crashed worker's job is handed to another worker once its lock runs out.
            lockDuration: config.get('JOB_LOCK_SECONDS') * 1000,
            stalledInterval: config.get('JOB_LOCK_SECONDS') * 1000,
            // Re-run a job whose worker died a few times before failing it; handlers are idempotent.
            maxStalledCount: 3,
          },
          defaultJobOptions: {
            attempts: config.get('JOB_ATTEMPTS'),
            backoff: { type: 'exponential', delay: config.get('JOB_BACKOFF_MS') },
            removeOnComplete: 1000,
            // Failed jobs stay in Redis for inspection and manual retry (queue dashboard).
            removeOnFail: false,
          },
        }),
      })),
    ),
  ],
  providers: [JobsExplorer, JobQueue, JobScheduler, QueueWorkerGate],
  exports: [JobQueue, QueueWorkerGate, BullModule],
})
class JobsCoreModule {}

/**
 * A module declares the jobs it runs with `imports: [JobsModule.forFeature(['job-name'])]` and
 * provides their `@OnJob` handlers. Only jobs of loaded modules are declared, so a process fails
 * at start-up for a missing handler of a job it could receive, not for one it never loads.
 */
@Module({})
export class JobsModule {
  static forFeature(jobs: JobName[]): DynamicModule {
    return {
      module: JobsModule,
      imports: [JobsCoreModule],
      providers: [{ provide: JobDeclaration, useValue: new JobDeclaration(jobs) }],
      exports: [JobsCoreModule],
    };
  }
}
