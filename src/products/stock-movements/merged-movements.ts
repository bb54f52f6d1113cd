import type { NumberedMovement } from '../products.store';
import type { MovementPage } from './stock-movement.store';

/**
 * A product's movements newest first, from its buffer (read first) and the relayed ones: one
 * per `_id` (between a relay's copy and its pull a movement is in both), the page's `before` and
 * `limit` applied. The relayed list holds the newest `limit` relayed below `before` (or all),
 * so the newest `limit` of the union are among these.
 */
export function mergedNewestFirst(buffered: NumberedMovement[], relayed: NumberedMovement[], page: MovementPage = {}): NumberedMovement[] {
  const inBuffer = new Set(buffered.flatMap((movement) => (movement._id ? [movement._id.toHexString()] : [])));
  // A movement from before ids, read without one, may have been numbered and relayed since:
  // then its copy carries the same sequence (numbering keeps the sequences readers showed).
  const relayedSequences = new Set(relayed.map((movement) => movement.sequence));
  const merged = [
    ...buffered.filter((movement) => (page.before === undefined || movement.sequence < page.before) && (movement._id || !relayedSequences.has(movement.sequence))),
    ...relayed.filter((movement) => !inBuffer.has(movement._id!.toHexString())),
  ].sort((a, b) => b.sequence - a.sequence);
  return page.limit === undefined ? merged : merged.slice(0, page.limit);
}
