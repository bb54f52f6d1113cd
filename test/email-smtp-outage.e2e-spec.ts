import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { JobQueue } from '../src/jobs/job-queue';
import type { QueueName } from '../src/jobs/job.registry';
import { createAccounts, uniqueEmail } from './support/accounts';
import { Mailbox } from './support/mailbox';
import { ServerProcess } from './support/server-process';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * SMTP down: the app's SMTP server is a private MailDev that starts out stopped (the shared one
 * is never touched). Requests do not notice; jobs retry with backoff until the server is back.
 */
describe('Email while SMTP is down', () => {
  let t: TestApp;
  let smtp: ServerProcess & { webUrl: string };
  let mailQueue: Queue;

  beforeAll(async () => {
    smtp = await ServerProcess.maildev();
    t = await createTestApp({
      env: { RUN_WORKER_IN_API: 'true', SMTP_PORT: String(smtp.port), JOB_ATTEMPTS: '12', JOB_BACKOFF_MS: '200' },
    });
    mailQueue = t.app.get<Queue>(getQueueToken('mail' satisfies QueueName));
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  it('answers the request at once, retries the email, and delivers it when SMTP is back', async () => {
    const email = uniqueEmail('smtp-down');
    await request(t.http).post('/api/v1/auth/register').send({ email, password: 'long enough pw', name: 'Patient' }).expect(201);
    const failures: string[] = [];
    mailQueue.on('failed', (job, error) => failures.push(`${job.id}: ${error.message}`));

    const answer = await request(t.http).post('/api/v1/auth/password/forgot').send({ email });
    expect(answer.status).toBe(202);
    await waitFor(async () => failures.length >= 2, 'two failed attempts while SMTP is down');
    expect(failures.join('\n')).toMatch(/ECONNREFUSED/);

    await smtp.start();
    try {
      const [sent] = await new Mailbox(smtp.webUrl).waitForEmails(email, 1, 30_000);
      expect(sent.subject).toBe('Reset your password');
      // The email lands before Bull marks its job completed: wait for that mark.
      const completed = async () => (await mailQueue.getCompleted()).find((done) => done.data.email === email);
      await waitFor(async () => (await completed()) !== undefined, 'the email job to be marked completed');
      const job = await completed();
      expect(job?.attemptsMade).toBeGreaterThanOrEqual(2);
      expect(job?.returnvalue).toBe('sent');
    } finally {
      // Down again whatever happened above: the next test needs SMTP down.
      await smtp.stop();
    }
  });

  it('keeps a job that used up its attempts as failed, with the reason, and its claim given back', async () => {
    const [email] = await createAccounts(t, 'gives-up', 1);
    const jobId = `password-reset:${randomUUID()}`;
    await t.app.get(JobQueue).queue('password-reset', { email }, { jobId, attempts: 2 });
    await waitFor(async () => (await (await mailQueue.getJob(jobId))?.getState()) === 'failed', 'the job to fail for good');
    const failed = (await mailQueue.getJob(jobId))!;
    expect(failed.attemptsMade).toBe(2);
    expect(failed.failedReason).toMatch(/ECONNREFUSED/);
    expect(failed.data).toEqual({ email });
    expect(await t.connection.collection('email_ledger').findOne({ key: jobId })).toBeNull();
  });
});
