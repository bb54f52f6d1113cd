import type { ChainableCommander, default as Redis } from 'ioredis';
import { TurnBatch } from '@app/common';

/** A command waiting for its turn's pipeline. */
interface Waiting {
  add: (pipeline: ChainableCommander) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * Redis commands asked for in one turn of the event loop, sent in one pipeline at its end
 * (TurnBatch): under load, a turn handles dozens of requests, and each one's throttle count
 * and session read cost a socket write and a reply read apiece when sent alone. A command waits
 * at most for the rest of its turn, and is sent after it was asked for: it sees every write
 * answered before its request came. (ioredis' own auto-pipelining gathers only what one
 * callback sends before its next tick, which for requests is one command at a time.)
 */
export class TurnPipeline {
  private readonly turn = new TurnBatch<Waiting>((batch) => this.flush(batch));

  constructor(private readonly redis: Redis) {}

  /**
   * The result of the one command `add` puts on this turn's pipeline: `add` queues exactly one
   * command, returns what queueing it returns, and does nothing else (what it queued is sent even
   * when it is refused for queueing more, or for throwing after queueing). Rejects with that
   * command's own error, with the round trip's error (Redis unreachable), or when `add` threw
   * or added other than one command; a failure of one command is its caller's alone.
   */
  send<T>(add: (pipeline: ChainableCommander) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => this.turn.add({ add, resolve: resolve as (value: unknown) => void, reject }));
  }

  private async flush(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return this.sendAlone(batch[0]);
    const pipeline = this.redis.pipeline();
    // Where each command is; an `add` that fails is refused alone.
    const positions = batch.map(({ add, reject }) => {
      const position = pipeline.length;
      try {
        add(pipeline);
      } catch (error) {
        reject(error as Error);
        return undefined;
      }
      if (pipeline.length === position + 1) return position;
      reject(new Error('a turn pipeline command must add exactly one command'));
      return undefined;
    });
    if (pipeline.length === 0) return;
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      batch.forEach(({ reject }, index) => positions[index] !== undefined && reject(error as Error));
      return;
    }
    batch.forEach(({ resolve, reject }, index) => {
      const position = positions[index];
      if (position === undefined) return;
      const [error, value] = results[position] ?? [new Error('pipeline aborted'), null];
      if (error) reject(error);
      else resolve(value);
    });
  }

  /**
   * The turn's only command, sent on the client itself: a pipeline of one costs about 50 µs more
   * (an idle API would pay it on every command). `add` gets the client where it would get the
   * pipeline, so what it returns is the command's own promise.
   */
  private async sendAlone({ add, resolve, reject }: Waiting): Promise<void> {
    try {
      const sent = add(this.redis as unknown as ChainableCommander);
      if (!(sent instanceof Promise)) throw new Error('a turn pipeline command must return what its command returns');
      resolve(await sent);
    } catch (error) {
      reject(error as Error);
    }
  }
}

const pipelines = new WeakMap<Redis, TurnPipeline>();

/** The client's turn pipeline (one per client, shared by everything that sends through it). */
export function turnPipelineOf(redis: Redis): TurnPipeline {
  let pipeline = pipelines.get(redis);
  if (!pipeline) {
    pipeline = new TurnPipeline(redis);
    pipelines.set(redis, pipeline);
  }
  return pipeline;
}
