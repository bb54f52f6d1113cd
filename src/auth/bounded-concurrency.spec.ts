import { BoundedConcurrency } from './bounded-concurrency';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('BoundedConcurrency', () => {
  const full = () => new Error('full');

  it('runs up to the limit at once, queues up to the queue limit, refuses the rest', async () => {
    const slots = new BoundedConcurrency(2, 1);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }, full),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    await expect(slots.run(async () => 'late', full)).rejects.toThrow('full');

    gates[0].open();
    await expect(runs[0]).resolves.toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    // Still two running (1 and 2) and nobody waiting: one more may wait, a second is refused.
    const queued = slots.run(async () => 'queued', full);
    await expect(slots.run(async () => 'refused', full)).rejects.toThrow('full');
    gates[1].open();
    gates[2].open();
    await expect(Promise.all([runs[1], runs[2], queued])).resolves.toEqual([1, 2, 'queued']);
  });

  it('frees the slot of a task that fails', async () => {
    const slots = new BoundedConcurrency(1, 0);
    await expect(slots.run(() => Promise.reject(new Error('boom')), full)).rejects.toThrow('boom');
    await expect(slots.run(async () => 'ok', full)).resolves.toBe('ok');
  });
});
