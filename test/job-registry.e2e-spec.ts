import { Injectable, Module, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getQueueToken } from '@nestjs/bull';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Queue } from 'bull';
import type { Connection } from 'mongoose';
import type * as AppModuleFile from '../src/app.module';
import type * as BackupScheduleFile from '../src/backups/backup.schedule';
import type * as WorkerModuleFile from '../src/worker.module';
import { JobsExplorer } from '../src/jobs/jobs.explorer';
import { QUEUE_NAMES } from '../src/jobs/job.registry';
import { OnJob } from '../src/jobs/on-job.decorator';
import type * as OrderEmailsProcessorFile from '../src/order-emails/order-emails.processor';
import { testEnvironment } from './support/test-env';

/** Start-up wiring of the job registry, with the real app and worker modules on the real stack. */
describe('Job registry at start-up', () => {
  Object.assign(process.env, testEnvironment());
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the env is set
  const { AppModule } = require('../src/app.module') as typeof AppModuleFile;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WorkerModule } = require('../src/worker.module') as typeof WorkerModuleFile;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { OrderEmailsProcessor } = require('../src/order-emails/order-emails.processor') as typeof OrderEmailsProcessorFile;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BackupSchedule } = require('../src/backups/backup.schedule') as typeof BackupScheduleFile;

  async function boot(...modules: Type[]) {
    const moduleRef = await Test.createTestingModule({ imports: modules }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    return app;
  }

  async function startUpError(modules: Type[], withoutProvider?: Type): Promise<string> {
    const builder = Test.createTestingModule({ imports: modules });
    // Replaced by a plain object: the provider is there, its `@OnJob` method is not.
    if (withoutProvider) builder.overrideProvider(withoutProvider).useValue({});
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication();
    try {
      await app.init();
    } catch (error) {
      return (error as Error).message;
    } finally {
      // Let the queues finish connecting before closing them: a Bull queue closed while its
      // Redis connections are still being set up leaves their pending commands to reject
      // ("Connection is closed") after the suite, under a loaded machine.
      await Promise.all(QUEUE_NAMES.map((name) => app.get<Queue>(getQueueToken(name), { strict: false }).isReady().catch(() => undefined)));
      await app.close().catch(() => undefined);
    }
    throw new Error('expected the start-up to fail');
  }

  afterAll(async () => {
    const app = await boot(WorkerModule);
    await app.get<Connection>(getConnectionToken()).dropDatabase();
    await app.close();
  });

  it('the worker declares and handles every job the API declares', async () => {
    const api = await boot(AppModule);
    const worker = await boot(WorkerModule);
    try {
      expect(worker.get(JobsExplorer).declaredJobs()).toEqual(expect.arrayContaining(api.get(JobsExplorer).declaredJobs()));
      expect(worker.get(JobsExplorer).declaredJobs()).toEqual(expect.arrayContaining(['order-event', 'order-effects', 'password-reset']));
      // The scheduled jobs are in the registry like any other; only the worker takes backups.
      expect(worker.get(JobsExplorer).declaredJobs()).toEqual(expect.arrayContaining(['orders-maintenance', 'webhook-log-prune', 'scheduled-backup']));
      expect(api.get(JobsExplorer).declaredJobs()).not.toContain('scheduled-backup');
    } finally {
      await Promise.all([api.close(), worker.close()]);
    }
  });

  it('refuses to start when a loaded module declares a job that nothing handles', async () => {
    // The order lifecycle declares `order-event` (it produces it): without the order emails'
    // handler nothing would ever send those emails, so the worker must not start.
    expect(await startUpError([WorkerModule], OrderEmailsProcessor)).toMatch(/job 'order-event' has no handler/);
  });

  it('refuses to start when a scheduled job has no handler', async () => {
    expect(await startUpError([WorkerModule], BackupSchedule)).toMatch(/job 'scheduled-backup' has no handler/);
  });

  it('refuses to start when a job has two handlers, naming both', async () => {
    @Injectable()
    class SecondResetMailer {
      @OnJob('password-reset')
      async send() {}
    }
    @Module({ providers: [SecondResetMailer] })
    class DuplicateHandler {}
    const message = await startUpError([WorkerModule, DuplicateHandler]);
    expect(message).toMatch(/job 'password-reset' has 2 handlers: /);
    expect(message).toContain('PasswordResetProcessor.handle');
    expect(message).toContain('SecondResetMailer.send');
  });
});
