import { getQueueToken } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PasswordResetProcessor } from '../src/auth/password-reset/password-reset.processor';
import { JobQueue } from '../src/jobs/job-queue';
import type { QueueName } from '../src/jobs/job.registry';
import { createAccounts, uniqueEmail } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/** Once-only email through the real queue, worker, MongoDB ledger and MailDev. */
describe('Email delivery', () => {
  let t: TestApp;
  let jobs: JobQueue;
  let mailQueue: Queue;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    t = await createTestApp({ env: { RUN_WORKER_IN_API: 'true' } });
    jobs = t.app.get(JobQueue);
    mailQueue = t.app.get<Queue>(getQueueToken('mail' satisfies QueueName));
  });
  afterAll(() => t.close());

  async function finished(jobIds: string[]): Promise<Job[]> {
    const fetch = () => Promise.all(jobIds.map((id) => mailQueue.getJob(id)));
    await waitFor(
      async () => (await Promise.all((await fetch()).map((job) => job?.getState()))).every((state) => state === 'completed'),
      `jobs ${jobIds.join(', ')} to complete`,
    );
    // Read again: a job read while still active carries no return value yet.
    return (await fetch()) as Job[];
  }

  /** A password-reset job (a real producer's job) to a fresh account; the job id is the email's ledger key. */
  async function resetJob(tag: string): Promise<{ email: string; jobId: string }> {
    const [email] = await createAccounts(t, tag, 1);
    return { email, jobId: `password-reset:${randomUUID()}` };
  }

  it('sends one email when the same job runs three times at once', async () => {
    const { email, jobId } = await resetJob('thrice');
    // Bull runs a job id once at a time; a stalled job handed to other workers while the first
    // still sends it is not. Those two extra runs are the handler called as their workers would.
    const processor = t.app.get(PasswordResetProcessor, { strict: false });
    const [, ...others] = await Promise.all([
      jobs.queue('password-reset', { email }, { jobId }),
      processor.handle({ email }, { id: jobId }),
      processor.handle({ email }, { id: jobId }),
    ]);
    const [queued] = await finished([jobId]);

    expect([queued.returnvalue, ...others].sort()).toEqual(['already-sent', 'already-sent', 'sent']);
    expect(await mailbox.emailsTo(email)).toHaveLength(1);
    const record = await t.connection.collection('email_ledger').findOne({ key: jobId });
    expect(record).toMatchObject({ status: 'sent', takeovers: 0 });
  });

  it('skips a job whose email the ledger records as sent, even after Redis forgot the first job', async () => {
    const { email, jobId } = await resetJob('again');
    await jobs.queue('password-reset', { email }, { jobId });
    await finished([jobId]);
    await (await mailQueue.getJob(jobId))!.remove();

    // The same job again (a Redis restart lost the completed one, the producer's retry re-queued it).
    await jobs.queue('password-reset', { email }, { jobId });
    const [again] = await finished([jobId]);
    expect(again.returnvalue).toBe('already-sent');
    expect(await mailbox.emailsTo(email)).toHaveLength(1);
  });

  it('sends the password-reset email from its templates, with a text and an HTML part and the token in the fragment', async () => {
    const account = { email: uniqueEmail('reset-template') };
    await request(t.http).post('/api/v1/auth/register').send({ ...account, password: 'long enough pw', name: '<b>Mallory</b>' }).expect(201);
    await request(t.http).post('/api/v1/auth/password/forgot').send({ email: account.email }).expect(202);
    const [email] = await mailbox.waitForEmails(account.email);
    const token = /reset-password#token=([\w-]+)/.exec(email.text)![1];
    expect(email.html).toContain(`reset-password#token&#x3D;${token}`);
    // No user-chosen text in a security email.
    expect(email.text).not.toContain('Mallory');
    expect(email.html).not.toContain('Mallory');
    expect(email.headers['message-id']).toMatch(/^<[0-9a-f]{40}@shop\.local>$/);
  });

  it('queues every job with 5 attempts, exponential backoff, and failed jobs kept', async () => {
    const jobId = `password-reset:${randomUUID()}`;
    await jobs.queue('password-reset', { email: uniqueEmail('opts') }, { jobId, delay: 60_000 });
    const delayed = (await mailQueue.getJob(jobId))!;
    expect(delayed.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnFail: false });
    await delayed.remove();
  });
});
