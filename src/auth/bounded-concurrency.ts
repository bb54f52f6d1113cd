/**
 * Runs at most `concurrency` tasks at once, lets at most `queueLimit` more wait for a slot (first
 * come, first served), and refuses the rest at once: under a flood the waiting line, and so the
 * time a request may hang, stays bounded instead of growing without end.
 */
export class BoundedConcurrency {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  /** The task's result, or `full()`'s error when every slot and every place in line is taken. */
  async run<T>(task: () => Promise<T>, full: () => Error): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) throw full();
      // The slot is handed over by the finishing task, so `running` never drops in between.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
