import { getQueueToken } from '@nestjs/bull';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, Reflector } from '@nestjs/core';
import type { Job, Queue } from 'bull';
import { FoundHandler, matchHandlers } from './job-handlers';
import { JOBS, JobName, QUEUE_NAMES, QueueName } from './job.registry';
import { JOB_HANDLER } from './on-job.decorator';
import { QueueWorkerGate } from './queue-worker-gate';

type RunJob = (job: Job) => Promise<unknown>;

/** The jobs one module runs or produces; `JobsModule.forFeature` provides one per declaring module. */
export class JobDeclaration {
  constructor(readonly jobs: readonly JobName[]) {}
}

/**
 * Wires jobs at start-up: collects the jobs the loaded modules declare and the `@OnJob` methods of
 * every provider, refuses to start unless each declared job has exactly one handler (in every
 * process, so the API catches a missing handler as surely as the worker), then attaches the
 * handlers to their queues where this process runs jobs.
 */
@Injectable()
export class JobsExplorer implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private handlers = new Map<JobName, FoundHandler<RunJob>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly gate: QueueWorkerGate,
  ) {}

  /** Jobs some loaded module declares; producing any other job is a programming error. */
  isDeclared(job: JobName): boolean {
    return this.handlers.has(job);
  }

  declaredJobs(): JobName[] {
    return [...this.handlers.keys()].sort();
  }

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  onModuleInit(): void {
    // Without an 'error' listener a lost Redis connection would crash the process. Attached
    // before anything here can refuse the start-up: a queue closed while it still connects (a
    // start-up refused and closed at once) emits 'error' too, which would surface unhandled.
    for (const name of QUEUE_NAMES) {
      this.queue(name).on('error', (error) => this.logger.warn(`Queue ${name} error: ${error.message}`));
    }
    const declared = new Set<JobName>();
    const found: FoundHandler<RunJob>[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const { instance } = wrapper;
      if (instance instanceof JobDeclaration) instance.jobs.forEach((job) => declared.add(job));
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = prototype[method];
        const job = typeof fn === 'function' ? this.reflector.get<JobName | undefined>(JOB_HANDLER, fn) : undefined;
        if (!job) continue;
        const bound = (fn as (...args: unknown[]) => Promise<unknown>).bind(instance);
        found.push({ job, owner: `${instance.constructor.name}.${method}`, run: (bullJob) => bound(bullJob.data, bullJob) });
      }
    }
    this.handlers = matchHandlers(declared, found);
  }

  onApplicationBootstrap(): void {
    if (!this.gate.runsJobs) return;
    for (const [job, handler] of this.handlers) {
      const { queue, concurrency } = JOBS[job];
      // Bull's process() settles only when the queue stops; closed while its blocking read is
      // pending (a quick shutdown), it rejects with "Connection is closed". Unhandled, that
      // rejection would end the process with exit code 1 instead of a clean stop.
      this.queue(queue)
        .process(job, concurrency, handler.run)
        .catch((error: Error) => this.logger.warn(`Queue ${queue} stopped running '${job}': ${error.message}`));
      this.logger.log(`Running job '${job}' on queue '${queue}' with ${handler.owner} (concurrency ${concurrency})`);
    }
    for (const name of new Set([...this.handlers.keys()].map((job) => JOBS[job].queue))) {
      this.queue(name).on('failed', (job, error) =>
        this.logger.warn(`Job ${job.name} ${job.id} failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}): ${error.message}`),
      );
    }
  }

  /**
   * Closes the queues before any connection closes: Bull's close() stops taking jobs and waits
   * for the ones in hand, which still need MongoDB and SMTP to finish (Bull would otherwise close
   * in the same shutdown phase as those connections).
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(QUEUE_NAMES.map((name) => this.queue(name).close()));
  }
}
