import type { Model, Types } from 'mongoose';
import { NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { AuditLog, type AuditActor, type AuditedEntity } from '../audit/audit-log.service';

interface Record {
  _id: Types.ObjectId;
}

/**
 * The admin's writes of one small settings collection (tax rates, shipping methods, promotions),
 * each with its audit entry (before and after) by the time the answer is sent; a refused write
 * throws before it and leaves none. Reads are newest first.
 */
export class AuditedRecords<T extends Record> {
  constructor(
    private readonly model: Model<T>,
    private readonly audit: AuditLog,
    private readonly entity: AuditedEntity,
    private readonly label: string,
  ) {}

  async create(fields: Partial<T>, actor: AuditActor): Promise<T> {
    const created = (await this.model.create(fields)).toObject() as T;
    await this.audit.record(actor, { action: `${this.entity}.created`, entity: this.entity, entityId: created._id, before: null, after: created });
    return created;
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

  /** One atomic write; the values before are the ones it replaced. */
  async update(id: string, set: Partial<T>, actor: AuditActor): Promise<T> {
    const before = await this.model.findOneAndUpdate({ _id: id }, { $set: set }, { returnDocument: 'before', runValidators: true }).lean<T>();
    if (!before) throw new NotFoundError(`${this.label} not found`);
    const after = await this.get(id);
    await this.audit.record(actor, { action: `${this.entity}.updated`, entity: this.entity, entityId: before._id, before, after });
    return after;
  }

  async remove(id: string, actor: AuditActor): Promise<void> {
    const before = await this.model.findOneAndDelete({ _id: id }).lean<T>();
    if (!before) throw new NotFoundError(`${this.label} not found`);
    await this.audit.record(actor, { action: `${this.entity}.deleted`, entity: this.entity, entityId: before._id, before, after: null });
  }
}

/** The fields a DTO gives (undefined = left as is). */
export function givenFields<T extends object>(dto: T): Partial<T> {
  return Object.fromEntries(Object.entries(dto).filter(([, value]) => value !== undefined)) as Partial<T>;
}
