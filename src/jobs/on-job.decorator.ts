import { SetMetadata } from '@nestjs/common';
import type { Job } from 'bull';
import type { JobName, JobPayloads } from './job.registry';

export const JOB_HANDLER = Symbol('job-handler');

/** What a job handler receives: the typed payload, and the Bull job for its id and attempt count. */
export type JobHandler<N extends JobName> = (data: JobPayloads[N], job: Job<JobPayloads[N]>) => Promise<unknown>;

/**
 * Marks a provider's method as the handler of job `name`. Found at start-up by the JobsExplorer;
 * the compiler checks the method's parameter against the job's payload type.
 */
export function OnJob<N extends JobName>(name: N) {
  return <H extends JobHandler<N>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<H>): void => {
    SetMetadata(JOB_HANDLER, name)(target, key, descriptor);
  };
}
