import type { JobName } from './job.registry';

/** One method found with `@OnJob`, named for error messages (`Class.method`). */
export interface FoundHandler<H = unknown> {
  job: JobName;
  owner: string;
  run: H;
}

export class JobRegistryError extends Error {
  constructor(readonly problems: string[]) {
    super(`Job registry is inconsistent; refusing to start:\n  - ${problems.join('\n  - ')}`);
    this.name = 'JobRegistryError';
  }
}

/**
 * Pairs every declared job with its handler: exactly one each. A job with no handler would wait in
 * Redis forever unnoticed, and two handlers would split its jobs between them, so both stop the
 * start-up, as does a handler for a job no loaded module declares. Lists every problem at once.
 */
export function matchHandlers<H>(declared: ReadonlySet<JobName>, found: FoundHandler<H>[]): Map<JobName, FoundHandler<H>> {
  const problems: string[] = [];
  const byJob = new Map<JobName, FoundHandler<H>[]>();
  for (const handler of found) byJob.set(handler.job, [...(byJob.get(handler.job) ?? []), handler]);

  for (const job of [...declared].sort()) {
    const handlers = byJob.get(job) ?? [];
    if (handlers.length === 0) problems.push(`job '${job}' has no handler (mark one method @OnJob('${job}') in a loaded module)`);
    if (handlers.length > 1) problems.push(`job '${job}' has ${handlers.length} handlers: ${handlers.map((h) => h.owner).join(', ')}`);
  }
  for (const [job, handlers] of byJob) {
    if (!declared.has(job)) {
      problems.push(`${handlers.map((h) => h.owner).join(', ')} handles job '${job}', which no loaded module declares (JobsModule.forFeature)`);
    }
  }
  if (problems.length > 0) throw new JobRegistryError(problems);
  return new Map([...byJob].map(([job, [handler]]) => [job, handler]));
}
