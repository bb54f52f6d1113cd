import type { Model, QueryFilter, Types } from 'mongoose';
import { NotFoundError, Paginated, PaginationQueryDto, skipFor, StateConflictError } from '@app/common';
import { AuditLog, type AuditActor, type AuditedEntity } from '../audit/audit-log.service';
import { setReturningBoth } from '../audit/audited-set';

/** A check over several fields of a record (400 when broken), and the fields it reads. */
export interface RecordRule<T> {
  reads: (keyof T)[];
  assert(merged: T): void;
}

/** An update whose rule's fields moved meanwhile is read again this often before 409. */
const UPDATE_ATTEMPTS = 5;

interface Record {
  _id: Types.ObjectId;
}

/**
 * The admin's writes of one small settings collection (tax rates, shipping methods, promotions),
 * each with its audit entry (before and after) and its `written` call (the settings cache's
 * bump) done by the time the answer is sent; a refused write throws before them and leaves
 * none. Reads are newest first.
 */
export class AuditedRecords<T extends Record> {
  constructor(
    private readonly model: Model<T>,
    private readonly audit: AuditLog,
    private readonly entity: AuditedEntity,
    private readonly label: string,
    /** Told after every write, before its answer (PricingSettingsCache.bump); must not throw. */
    private readonly written: () => Promise<void>,
  ) {}

  async create(fields: Partial<T>, actor: AuditActor): Promise<T> {
    const created = (await this.telling(() => this.model.create(fields))).toObject() as T;
    await this.audit.record(actor, { action: `${this.entity}.created`, entity: this.entity, entityId: created._id, before: null, after: created });
    return created;
  }

  /**
   * A write, then `written` whatever came of it: a write that threw (a lost connection, a write
   * concern timeout) may have been applied all the same, and a write that changed nothing costs
   * only one extra read of the settings.
   */
  private async telling<R>(write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } finally {
      await this.written();
    }
  }

  async list(query: PaginationQueryDto): Promise<Paginated<T>> {
    const [items, total] = await Promise.all([
      this.model.find().sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit).lean<T[]>(),
      this.model.countDocuments(),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }

  async get(id: string): Promise<T> {
    const record = await this.model.findById(id).lean<T>();
    if (!record) throw new NotFoundError(`${this.label} not found`);
    return record;
  }

  /**
   * One atomic write, with its exact values before and after (setReturningBoth). A `rule` that
   * ties fields together is checked on the record as it would be after the write, and the write
   * is conditioned on the fields the rule read still being as read (retried on a fresh read when
   * one moved, then 409): a racing edit of one of them cannot slip an invalid record past it,
   * and writes of other fields (a promotion's `used`) never make it fail.
   */
  async update(id: string, set: Partial<T>, actor: AuditActor, rule?: RecordRule<T>): Promise<T> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt += 1) {
      const condition: { [field: string]: unknown } = { _id: id };
      if (rule) {
        const current = await this.get(id);
        rule.assert({ ...current, ...set });
        for (const field of rule.reads) condition[field as string] = current[field] ?? null;
      }
      const written = await this.telling(() => setReturningBoth(this.model, condition as QueryFilter<T>, set));
      if (!written) {
        if (rule && (await this.model.exists({ _id: id }))) continue;
        throw new NotFoundError(`${this.label} not found`);
      }
      await this.audit.record(actor, { action: `${this.entity}.updated`, entity: this.entity, entityId: written.before._id, before: written.before, after: written.after });
      return written.after;
    }
    throw new StateConflictError(`The ${this.label.toLowerCase()} kept changing; try again`);
  }

  async remove(id: string, actor: AuditActor): Promise<void> {
    const before = await this.telling(() => this.model.findOneAndDelete({ _id: id }).lean<T>());
    if (!before) throw new NotFoundError(`${this.label} not found`);
    await this.audit.record(actor, { action: `${this.entity}.deleted`, entity: this.entity, entityId: before._id, before, after: null });
  }
}

/** The fields a DTO gives (undefined = left as is). */
export function givenFields<T extends object>(dto: T): Partial<T> {
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)) as Partial<T>;
}
