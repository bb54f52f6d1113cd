import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { JobQueue } from '../src/jobs/job-queue';
import { JOBS, type QueueName } from '../src/jobs/job.registry';
import { uniqueEmail } from './support/accounts';
import { killProcessesLeftRunning, NodeRun, runBuilt } from './support/node-process';
import { Mailbox } from './support/mailbox';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const BATCH = 50;

/**
 * Worker processes (dist/src/worker.js) sending a batch of emails queued by the API, while one of
 * them is killed or stopped. Short lock and claim timeouts, so a dead worker's jobs come back in
 * seconds; nothing else differs from production.
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

  /** Queues one email to each of BATCH fresh addresses; returns the addresses and job ids. */
  async function queueBatch(tag: string): Promise<{ recipients: string[]; jobIds: string[] }> {
    const recipients = Array.from({ length: BATCH }, (_, i) => uniqueEmail(`${tag}-${i}`));
    const jobIds = recipients.map(() => `${tag}:${randomUUID()}`);
    await Promise.all(
      recipients.map((to, i) =>
        jobs.queue('send-email', { dedupeKey: jobIds[i], message: { to, subject: `${tag} ${i}`, text: `email ${i}` } }, { jobId: jobIds[i] }),
      ),
    );
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

  async function sentOf(jobIds: string[]): Promise<number> {
    return t.connection.collection('email_ledger').countDocuments({ key: { $in: jobIds }, status: 'sent' });
  }

  async function sendingClaims(): Promise<number> {
    return t.connection.collection('email_ledger').countDocuments({ status: 'sending' });
  }

  /**
   * SIGKILL can land after the SMTP server has the whole message and before the ledger records it
   * (README, "The duplicate that remains"); only an email the killed worker had in hand can be
   * sent twice, and such an email's claim was necessarily taken over. Everything else: exactly once.
   */
  it('loses no email and repeats none but those in the hands of a worker SIGKILLed mid-batch', async () => {
    const [doomed] = await Promise.all([startWorker(), startWorker()]);
    const { recipients, jobIds } = await queueBatch('crash');

    // Progress is read from the ledger, not MailDev: one indexed query, so on a quiet machine the
    // kill still lands before the workers (about 100 emails/s) are through the batch.
    await waitFor(async () => (await sentOf(jobIds)) >= 5, 'the batch to be under way');
    doomed.child.kill('SIGKILL');
    await doomed.exit;
    const sentBeforeKill = await sentOf(jobIds);
    const restarted = await startWorker();

    await waitFor(() => allCompleted(jobIds), 'every job of the batch to complete', 90_000);
    expect(sentBeforeKill).toBeLessThan(BATCH); // the kill did land in the middle of the batch
    const counts = await delivered(recipients);
    const takenOver = await t.connection.collection('email_ledger').find({ key: { $in: jobIds }, takeovers: { $gt: 0 } }).toArray();
    const inHandOfTheDead = new Set(takenOver.map((record) => recipients[jobIds.indexOf(record.key as string)].toLowerCase()));
    // A worker runs at most the mail queue's summed concurrency at once (Bull pools the slots).
    const slots = Object.values(JOBS).filter((job) => job.queue === 'mail').reduce((sum, job) => sum + job.concurrency, 0);
    expect(inHandOfTheDead.size).toBeLessThanOrEqual(slots);
    const unexpected = [...counts].filter(([to, count]) => count !== 1 && !(count === 2 && inHandOfTheDead.has(to)));
    expect(unexpected).toEqual([]);
    // How often the window was hit, for the README's numbers (printed, not asserted).
    console.info(`SIGKILL mid-batch: ${inHandOfTheDead.size} emails taken over, ${[...counts.values()].filter((n) => n === 2).length} sent twice`);
    expect(await sendingClaims()).toBe(0);

    restarted.child.kill('SIGTERM');
    expect(await restarted.exit).toBe(0);
  });

  it('lets the jobs in hand finish on SIGTERM, then exits 0; another worker sends the rest once', async () => {
    const worker = await startWorker();
    const { recipients, jobIds } = await queueBatch('stop');
    await waitFor(async () => [...(await delivered(recipients)).values()].some((n) => n > 0), 'the batch to be under way');

    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(worker.output()).toMatch(/Stopped cleanly/);
    // Nothing was cut off: no email claimed but not recorded as sent, and the jobs Bull still
    // lists as active were only fetched (its blocking fetch moves a job there before it runs),
    // never started: none of them has a ledger record. Another worker's stalled check requeues them.
    expect(await sendingClaims()).toBe(0);
    const fetchedOnly = (await mailQueue.getActive()).map((job) => job.data.dedupeKey as string);
    expect(await t.connection.collection('email_ledger').countDocuments({ key: { $in: fetchedOnly } })).toBe(0);

    const next = await startWorker();
    await waitFor(() => allCompleted(jobIds), 'every job of the batch to complete', 60_000);
    expect([...(await delivered(recipients)).values()]).toEqual(Array(BATCH).fill(1));
    next.child.kill('SIGTERM');
    expect(await next.exit).toBe(0);
  });
});
