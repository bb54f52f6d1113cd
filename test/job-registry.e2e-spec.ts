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

  /**
   * The message of a start-up the job wiring refuses. The refusal happens while the modules
   * initialise, before any queue is used, so the queues here are inert stand-ins: real Bull
   * queues closed a moment after they began to connect left rejected Redis commands behind them
   * ("Connection is closed") that surfaced in whichever suite ran next. The first test boots the
   * real API and worker on the real stack.
   */
  async function startUpError(modules: Type[], withoutProvider?: Type): Promise<string> {
    const builder = Test.createTestingModule({ imports: modules });
    // Replaced by a plain object: the provider is there, its `@OnJob` method is not.
    if (withoutProvider) builder.overrideProvider(withoutProvider).useValue({});
    for (const name of QUEUE_NAMES) builder.overrideProvider(getQueueToken(name)).useValue(inertQueue());
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication();
    try {
      await app.init();
    } catch (error) {
      return (error as Error).message;
    } finally {
      await app.close().catch(() => undefined);
    }
    throw new Error('expected the start-up to fail');
  }

  function inertQueue(): Partial<Queue> {
    const queue: Partial<Queue> = {
      on: () => queue as Queue,
      once: () => queue as Queue,
      close: async () => undefined,
      isReady: async () => queue as Queue,
    };
    return queue;
  }

  afterAll(async () => {
    const app = await boot(WorkerModule);
    await connected(app);
    await app.get<Connection>(getConnectionToken()).dropDatabase();
    await app.close();
  });

  /**
   * Waits until every Redis connection the app's queues opened is up: a Bull queue closed while
   * its connections are still being set up leaves rejected commands behind ("Connection is
   * closed"), which surface unhandled after the test.
   */
  async function connected(app: { get: (token: string, options: { strict: boolean }) => unknown }): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const name of QUEUE_NAMES) {
      const queue = app.get(getQueueToken(name), { strict: false }) as Queue & { clients: { status: string }[] };
      await queue.isReady();
      while (queue.clients.some((client) => client.status !== 'ready') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  it('the worker declares and handles every job the API declares', async () => {
    const api = await boot(AppModule);
    const worker = await boot(WorkerModule);
    try {
      await connected(api);
      await connected(worker);
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
