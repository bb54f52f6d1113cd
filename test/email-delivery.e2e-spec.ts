import { getQueueToken } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { JobQueue } from '../src/jobs/job-queue';
import type { QueueName } from '../src/jobs/job.registry';
import { uniqueEmail } from './support/accounts';
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

  it('sends one email for a dedupe key enqueued three times at once', async () => {
    const to = uniqueEmail('thrice');
    const dedupeKey = `test:${randomUUID()}`;
    // Three distinct jobs (Bull's own jobId dedupe is not what is tested here), raced.
    const jobIds = [1, 2, 3].map(() => randomUUID());
    await Promise.all(
      jobIds.map((jobId) => jobs.queue('send-email', { dedupeKey, message: { to, subject: 'Once', text: 'only once' } }, { jobId })),
    );

    const done = await finished(jobIds);
    expect(done.map((job) => job.returnvalue).sort()).toEqual(['already-sent', 'already-sent', 'sent']);
    expect(await mailbox.emailsTo(to)).toHaveLength(1);
    const record = await t.connection.collection('email_ledger').findOne({ key: dedupeKey });
    expect(record).toMatchObject({ status: 'sent', takeovers: 0 });
  });

  it('skips a job whose email the ledger records as sent, even after Redis forgot the first job', async () => {
    const to = uniqueEmail('again');
    const dedupeKey = `test:${randomUUID()}`;
    const message = { to, subject: 'Once', text: 'only once' };
    const first = randomUUID();
    await jobs.queue('send-email', { dedupeKey, message }, { jobId: first });
    await finished([first]);
    await (await mailQueue.getJob(first))!.remove();

    const second = randomUUID();
    await jobs.queue('send-email', { dedupeKey, message }, { jobId: second });
    const [again] = await finished([second]);
    expect(again.returnvalue).toBe('already-sent');
    expect(await mailbox.emailsTo(to)).toHaveLength(1);
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
    const jobId = `opts-${randomUUID()}`;
    const message = { to: uniqueEmail('opts'), subject: 's', text: 't' };
    await jobs.queue('send-email', { dedupeKey: `test:${randomUUID()}`, message }, { jobId, delay: 60_000 });
    const delayed = (await mailQueue.getJob(jobId))!;
    expect(delayed.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnFail: false });
    await delayed.remove();
  });
});
