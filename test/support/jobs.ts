import type { Job, Queue } from 'bull';
import { waitFor } from './wait';

/**
 * Waits until `count` jobs picked by `match` have finished (completed, or failed for good) and
 * returns them, so a test can assert what a job did instead of sleeping and hoping it ran.
 * Completed jobs keep their return value in Redis (`removeOnComplete` keeps the last 1000).
 */
export async function waitForFinishedJobs<T>(
  queue: Queue<T>,
  match: (job: Job<T>) => boolean,
  count: number,
  timeoutMs = 15_000,
): Promise<Job<T>[]> {
  let finished: Job<T>[] = [];
  await waitFor(
    async () => (finished = (await queue.getJobs(['completed', 'failed'])).filter((job) => job && match(job))).length >= count,
    `${count} finished job(s) on queue ${queue.name}`,
    timeoutMs,
  );
  return finished;
}
