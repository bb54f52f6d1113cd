import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { PROCESS_ROLE, type ProcessRole } from '../core/process-role';

/**
 * Whether this process consumes queue jobs: the worker always, the API only with
 * RUN_WORKER_IN_API, one-off commands never. The JobsExplorer asks before attaching handlers,
 * which is why handlers are plain `@OnJob` methods rather than `@Processor` classes that Bull
 * would attach in every process.
 */
@Injectable()
export class QueueWorkerGate {
  readonly runsJobs: boolean;

  constructor(@Inject(PROCESS_ROLE) role: ProcessRole, config: AppConfig) {
    this.runsJobs = role === 'worker' || (role === 'api' && config.get('RUN_WORKER_IN_API'));
  }
}
