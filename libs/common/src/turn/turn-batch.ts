/**
 * What is asked for during one turn of the event loop, handed over as one batch at the turn's end
 * (setImmediate). Under load a turn handles many requests at once, and each one sending its own
 * command costs a socket write, a reply to read and the command's encoding apiece; gathered,
 * they share one. What is added waits at most for the rest of its turn, and is sent after it was
 * asked for: it sees every write answered before its request came.
 *
 * `flush` settles every item of its batch itself and must not throw or reject: a batch has no
 * one to report to but its items.
 */
export class TurnBatch<T> {
  private waiting: T[] = [];

  constructor(private readonly flush: (batch: T[]) => void | Promise<void>) {}

  add(item: T): void {
    this.waiting.push(item);
    if (this.waiting.length === 1) setImmediate(() => this.handOver());
  }

  private handOver(): void {
    const batch = this.waiting;
    this.waiting = [];
    void this.flush(batch);
  }
}
