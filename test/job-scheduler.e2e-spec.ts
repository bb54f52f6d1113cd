import { getQueueToken } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { JOBS, type QueueName } from '../src/jobs/job.registry';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * The one scheduler with two worker processes (dist/src/worker.js): both schedule the interval
 * job `orders-maintenance`, and each of its slots becomes one job. (The cron path, the scheduled
 * backup, is proven the same way in backups.e2e-spec.ts.)
 */
describe('Scheduled jobs with two workers', () => {
  let t: TestApp;
  let ordersQueue: Queue;

  beforeAll(async () => {
    t = await createTestApp();
    ordersQueue = t.app.get<Queue>(getQueueToken('orders' satisfies QueueName));
  });
  afterEach(killProcessesLeftRunning);
  afterAll(() => t.close());

  async function maintenanceJobs(): Promise<Job[]> {
    const jobs = await ordersQueue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    return jobs.filter((job) => job?.name === 'orders-maintenance');
  }

  it('runs each slot of an interval job once, whichever worker takes it', async () => {
    const schedule = JOBS['orders-maintenance'].schedule;
    if (!schedule || !('everyMs' in schedule)) throw new Error('orders-maintenance is expected to run on an interval');
    const workers: NodeRun[] = [runBuilt('worker.js', { ...t.env, LOG_LEVEL: 'info' }), runBuilt('worker.js', { ...t.env, LOG_LEVEL: 'info' })];
    try {
      await waitFor(async () => workers.every((w) => w.output().includes("Scheduled job 'orders-maintenance'")), 'both workers to schedule', 60_000);
      const completed = async () => (await maintenanceJobs()).filter((job) => job.finishedOn && !job.failedReason);
      // Two slots, so both workers' timers have fired at least once each.
      await waitFor(async () => (await completed()).length >= 2, 'two maintenance runs', 2 * schedule.everyMs + 30_000);
    } finally {
      for (const worker of workers) worker.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0]);
    }

    const jobs = await maintenanceJobs();
    const slots = jobs.map((job) => String(job.id));
    // One job per slot: two workers enqueuing the same slot made one job, not two.
    expect(slots.every((id) => /^orders-maintenance:\d+$/.test(id))).toBe(true);
    expect(new Set(slots.map((id) => id.split(':')[1])).size).toBe(jobs.length);
    expect(jobs.filter((job) => job.finishedOn).every((job) => job.returnvalue && typeof job.returnvalue.eventsHandedOver === 'number')).toBe(true);
  }, 180_000);
});
