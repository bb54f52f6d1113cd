import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { JobQueue } from '../src/jobs/job-queue';
import type { QueueName } from '../src/jobs/job.registry';
import { createAccounts } from './support/accounts';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { Mailbox } from './support/mailbox';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const BATCH = 50;

/**
 * Worker processes (dist/src/worker.js) sending a batch of password-reset emails queued by the
 * API, while one of them is stopped. Short lock and claim timeouts, so a stopped worker's jobs
 * come back in seconds; nothing else differs from production. A worker SIGKILLed mid-batch is
 * test/order-email-workers.e2e-spec.ts: the same ledger, the same assertions, with order emails.
 */
describe('Email workers as processes', () => {
  let t: TestApp;
  let jobs: JobQueue;
  let mailQueue: Queue;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    t = await createTestApp({ env: { JOB_LOCK_SECONDS: '3', MAIL_CLAIM_STALE_SECONDS: '5' } });
    jobs = t.app.get(JobQueue);
    mailQueue = t.app.get<Queue>(getQueueToken('mail' satisfies QueueName));
  });
  afterEach(killProcessesLeftRunning);
  afterAll(() => t.close());

  async function startWorker(): Promise<NodeRun> {
    const worker = runBuilt('worker.js', { ...t.env, LOG_LEVEL: 'info' });
    await waitFor(async () => worker.output().includes('Queue worker started'), 'a worker to start', 30_000);
    return worker;
  }

  /**
   * Queues one password-reset job for each of BATCH fresh accounts (one account per email: an
   * account gets at most 3 reset emails an hour), with ids as the API gives them.
   */
  async function queueBatch(tag: string): Promise<{ recipients: string[]; jobIds: string[] }> {
    const recipients = await createAccounts(t, tag, BATCH);
    const jobIds = recipients.map(() => `password-reset:${randomUUID()}`);
    await Promise.all(recipients.map((email, i) => jobs.queue('password-reset', { email }, { jobId: jobIds[i] })));
    return { recipients, jobIds };
  }

  async function delivered(recipients: string[]): Promise<Map<string, number>> {
    const counts = new Map(recipients.map((to) => [to.toLowerCase(), 0]));
    for (const email of await mailbox.emailsToAny(recipients)) {
      for (const to of email.to) counts.set(to.address.toLowerCase(), (counts.get(to.address.toLowerCase()) ?? 0) + 1);
    }
    return counts;
  }

  async function allCompleted(jobIds: string[]): Promise<boolean> {
    const states = await Promise.all(jobIds.map(async (id) => (await mailQueue.getJob(id))?.getState()));
    return states.every((state) => state === 'completed');
  }

  async function sendingClaims(): Promise<number> {
    return t.connection.collection('email_ledger').countDocuments({ status: 'sending' });
  }

  it('lets the jobs in hand finish on SIGTERM, then exits 0; another worker sends the rest once', async () => {
    const worker = await startWorker();
    const { recipients, jobIds } = await queueBatch('stop');
    await waitFor(async () => [...(await delivered(recipients)).values()].some((n) => n > 0), 'the batch to be under way');

    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(worker.output()).toMatch(/Stopped cleanly/);
    // Nothing was cut off: no email claimed but not recorded as sent, and the jobs Bull still
    // lists as active were only fetched (its blocking fetch moves a job there before it runs),
    // never started: none of them has a ledger record (keyed by the job id). Another worker's
    // stalled check requeues them.
    expect(await sendingClaims()).toBe(0);
    const fetchedOnly = (await mailQueue.getActive()).map((job) => String(job.id));
    expect(await t.connection.collection('email_ledger').countDocuments({ key: { $in: fetchedOnly } })).toBe(0);

    const next = await startWorker();
    await waitFor(() => allCompleted(jobIds), 'every job of the batch to complete', 60_000);
    expect([...(await delivered(recipients)).values()]).toEqual(Array(BATCH).fill(1));
    next.child.kill('SIGTERM');
    expect(await next.exit).toBe(0);
  });
});
