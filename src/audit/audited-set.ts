import type { Model, QueryFilter } from 'mongoose';

/** A document just before and just after one write, as plain objects (what an audit entry records). */
export interface BeforeAfter<T> {
  before: T;
  after: T;
}

/**
 * One `$set` on the document matching `filter`, returning the document just before and just
 * after that write, both exact however many writes race: the before is the write's own pre-image
 * (`returnDocument: 'before'`; a re-read after the write, or a read before it, could show another
 * writer's change, and the MongoDB stand-in's 'after' can too, ARCHITECTURE.md), and the after is
 * that pre-image with this set applied through the schema (its casts and setters are the write's)
 * and the write's own `updatedAt`, set here instead of by Mongoose so that it is known. Null when
 * nothing matched.
 */
export async function setReturningBoth<T>(model: Model<T>, filter: QueryFilter<T>, set: Partial<T>, at = new Date()): Promise<BeforeAfter<T> | null> {
  const stamped: Record<string, unknown> = { ...set, ...(model.schema.path('updatedAt') && { updatedAt: at }) };
  const before = await model.findOneAndUpdate(filter, { $set: stamped }, { returnDocument: 'before', runValidators: true, timestamps: false }).exec();
  if (!before) return null;
  const after = model.hydrate(before.toObject({ versionKey: false }));
  for (const [path, value] of Object.entries(stamped)) after.set(path, value);
  return { before: before.toObject({ versionKey: false }) as T, after: after.toObject({ versionKey: false }) as T };
}
