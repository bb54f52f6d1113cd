import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { PROCESS_ROLE, type ProcessRole } from '../core/process-role';

/**
 * Whether this process consumes queue jobs: the worker always, the API only with
 * RUN_WORKER_IN_API, one-off commands never. Processors ask before attaching to a queue, which is
 * why they attach by hand instead of with `@Processor`.
 */
@Injectable()
export class QueueWorkerGate {
  readonly runsJobs: boolean;

  constructor(@Inject(PROCESS_ROLE) role: ProcessRole, config: AppConfig) {
    this.runsJobs = role === 'worker' || (role === 'api' && config.get('RUN_WORKER_IN_API'));
  }
}
