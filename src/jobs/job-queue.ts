import { Injectable } from '@nestjs/common';
import type { JobOptions } from 'bull';
import { JOBS, JobName, JobPayloads } from './job.registry';
import { JobsExplorer } from './jobs.explorer';

/** The one way to produce a job: typed by the registry, routed to the job's queue. */
@Injectable()
export class JobQueue {
  constructor(private readonly explorer: JobsExplorer) {}

  /**
   * Adds job `name`. Retries, backoff and retention come from the queue's defaults (config);
   * a `jobId` makes the add idempotent: Bull ignores a second add while the first job is kept.
   */
  async queue<N extends JobName>(name: N, data: JobPayloads[N], options: JobOptions = {}): Promise<void> {
    if (!this.explorer.isDeclared(name)) {
      throw new Error(`Job '${name}' is not declared by any loaded module: nothing would ever run it`);
    }
    await this.explorer.queue(JOBS[name].queue).add(name, data, options);
  }
}
