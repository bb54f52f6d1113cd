import type { AnyKeys, Model, QueryFilter, UpdateQuery } from 'mongoose';

/** A document just before and just after one write, as plain objects (what an audit entry records). */
export interface BeforeAfter<T> {
  before: T;
  after: T;
}

/**
 * One `$set` (and `$inc` of the counters in `inc`) on the document matching `filter`, returning
 * the document just before and just after that write, both exact however many writes race: the
 * before is the write's own pre-image (`returnDocument: 'before'`; a re-read after the write, or a
 * read before it, could show another writer's change, and the MongoDB stand-in's 'after' can too,
 * ARCHITECTURE.md), and the after is that pre-image with this set applied through the schema (its
 * casts and setters are the write's), the counters moved, and the write's own `updatedAt`, set
 * here instead of by Mongoose so that it is known. Null when nothing matched.
 */
export async function setReturningBoth<T>(
  model: Model<T>,
  filter: QueryFilter<T>,
  set: Partial<T>,
  at = new Date(),
  /** Counters the same write moves (`$inc`), for an after that shows them moved too. */
  inc: Partial<Record<keyof T, number>> = {},
): Promise<BeforeAfter<T> | null> {
  const stamped: Record<string, unknown> = { ...set, ...(model.schema.path('updatedAt') && { updatedAt: at }) };
  const update: UpdateQuery<T> = { $set: stamped, ...(Object.keys(inc).length > 0 && { $inc: inc as AnyKeys<T> }) };
  const before = await model.findOneAndUpdate(filter, update, { returnDocument: 'before', runValidators: true, timestamps: false }).exec();
  if (!before) return null;
  const after = model.hydrate(before.toObject({ versionKey: false }));
  for (const [path, value] of Object.entries(stamped)) after.set(path, value);
  for (const [path, by] of Object.entries(inc) as [string, number][]) after.set(path, Number(before.get(path) ?? 0) + by);
  return { before: before.toObject({ versionKey: false }) as T, after: after.toObject({ versionKey: false }) as T };
}
