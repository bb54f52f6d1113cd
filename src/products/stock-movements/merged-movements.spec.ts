import { Types } from 'mongoose';
import { numberedMovementsOf, type NumberedMovement } from '../products.store';
import type { StockMovement } from '../schemas/product.schema';
import { mergedNewestFirst } from './merged-movements';

const variantId = new Types.ObjectId();
const at = new Date('2026-12-01T10:00:00Z');
const moved = (delta: number, withId = true): StockMovement => ({ ...(withId && { _id: new Types.ObjectId() }), at, variantId, kind: 'adjustment', delta });

describe('numberedMovementsOf', () => {
  it('numbers the buffer as the last movements of the count, oldest first', () => {
    const buffer = [moved(1), moved(2), moved(3)];
    expect(numberedMovementsOf({ stockMovements: buffer, stockMovementSequence: 10 }).map((movement) => movement.sequence)).toEqual([8, 9, 10]);
    // Relayed ones gone: the rest keep their numbers.
    expect(numberedMovementsOf({ stockMovements: buffer.slice(2), stockMovementSequence: 10 }).map((movement) => movement.sequence)).toEqual([10]);
  });

  it('numbers a buffer from before the count 1… (what the relay makes it), whether or not new writes counted', () => {
    const legacy = [moved(5, false), moved(6, false)];
    expect(numberedMovementsOf({ stockMovements: legacy }).map((movement) => movement.sequence)).toEqual([1, 2]);
    expect(numberedMovementsOf({ stockMovements: [...legacy, moved(7)], stockMovementSequence: 1 }).map((movement) => movement.sequence)).toEqual([1, 2, 3]);
    expect(numberedMovementsOf({})).toEqual([]);
  });
});

describe('mergedNewestFirst', () => {
  const numbered = (sequence: number, movement = moved(sequence)): NumberedMovement => ({ ...movement, sequence });
  const relayed = [numbered(4), numbered(3), numbered(2), numbered(1)];
  // Movement 4 was copied and not pulled yet: in both.
  const buffered = [{ ...relayed[0] }, numbered(5), numbered(6)];

  it('lists each movement once, newest first', () => {
    expect(mergedNewestFirst(buffered, relayed).map((movement) => movement.sequence)).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it('lists a movement from before ids once when it was read without one and relayed since', () => {
    const legacy = numbered(1, moved(7, false));
    const copy = { ...legacy, _id: new Types.ObjectId() };
    expect(mergedNewestFirst([legacy, numbered(2)], [copy]).map((movement) => [movement.sequence, movement._id?.toHexString()])).toEqual([
      [2, expect.any(String)],
      [1, copy._id.toHexString()],
    ]);
  });

  it('pages with limit and before across buffer and collection', () => {
    expect(mergedNewestFirst(buffered, relayed.slice(0, 2), { limit: 2 }).map((movement) => movement.sequence)).toEqual([6, 5]);
    expect(mergedNewestFirst(buffered, relayed.filter((movement) => movement.sequence < 6).slice(0, 3), { limit: 3, before: 6 }).map((movement) => movement.sequence)).toEqual([5, 4, 3]);
    expect(mergedNewestFirst(buffered, [], { before: 1 })).toEqual([]);
  });
});
