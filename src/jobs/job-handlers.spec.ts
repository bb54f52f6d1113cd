import { FoundHandler, JobRegistryError, matchHandlers } from './job-handlers';
import type { JobName } from './job.registry';

const handler = (job: JobName, owner: string): FoundHandler<string> => ({ job, owner, run: owner });

describe('matchHandlers', () => {
  it('pairs each declared job with its one handler', () => {
    const matched = matchHandlers(new Set<JobName>(['order-event', 'password-reset']), [
      handler('order-event', 'OrderEmails.send'),
      handler('password-reset', 'Reset.handle'),
    ]);
    expect(matched.get('order-event')?.run).toBe('OrderEmails.send');
    expect(matched.get('password-reset')?.run).toBe('Reset.handle');
  });

  it('refuses a declared job without a handler, naming it', () => {
    expect(() => matchHandlers(new Set<JobName>(['order-event']), [])).toThrow(/job 'order-event' has no handler/);
  });

  it('refuses a job with two handlers, naming both', () => {
    expect(() =>
      matchHandlers(new Set<JobName>(['password-reset']), [handler('password-reset', 'A.send'), handler('password-reset', 'B.send')]),
    ).toThrow(/job 'password-reset' has 2 handlers: A.send, B.send/);
  });

  it('refuses a handler of a job no loaded module declares', () => {
    expect(() => matchHandlers(new Set<JobName>(), [handler('order-event', 'Orders.email')])).toThrow(
      /Orders.email handles job 'order-event', which no loaded module declares/,
    );
  });

  it('lists every problem in one error', () => {
    try {
      matchHandlers(new Set<JobName>(['order-event', 'password-reset']), [handler('password-reset', 'A.send'), handler('password-reset', 'B.send')]);
      throw new Error('expected a JobRegistryError');
    } catch (error) {
      expect(error).toBeInstanceOf(JobRegistryError);
      expect((error as JobRegistryError).problems).toHaveLength(2);
    }
  });
});
