import { Injectable } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter, Types } from 'mongoose';
import { Paginated, skipFor } from '@app/common';
import { auditSnapshot } from './audit-snapshot';
import { AuditLogQueryDto } from './dto/audit-log.dto';
import { AuditEntry } from './schemas/audit-entry.schema';

/** Who made the change: the calling admin (`@CurrentUser()` carries both). */
export interface AuditActor {
  id: string;
  email: string;
}

export type AuditedEntity = 'product' | 'category' | 'order' | 'user' | 'review' | 'webhook' | 'promotion' | 'taxRate' | 'shippingMethod';

export interface AuditChange {
  action: string;
  entity: AuditedEntity;
  entityId: string | Types.ObjectId;
  /** The entity as it was; null for a creation. */
  before: unknown;
  /** The entity as it is now; null for a deletion. */
  after: unknown;
  /** Fields of the entity that are not worth logging (derived, bulky). */
  omit?: readonly string[];
}

/**
 * The admin audit log (issue 26). Domains call `record` after their write succeeded and before
 * they answer, with the values before and after they know from the write itself; a refused
 * write (400, 409) throws before it and leaves nothing. Entries are only ever appended.
 */
@Injectable()
export class AuditLog {
  constructor(@InjectModel(AuditEntry.name) private readonly entries: Model<AuditEntry>) {}

  /**
   * Appends the entry; a save that changed nothing (before and after the same, e.g. a PATCH
   * with the values already stored, an archive of an archived product) is no change to log.
   */
  async record(actor: AuditActor, change: AuditChange): Promise<void> {
    const before = auditSnapshot(change.before, change.omit);
    const after = auditSnapshot(change.after, change.omit);
    if (before !== null && after !== null && isDeepStrictEqual(before, after)) return;
    await this.entries.create({
      at: new Date(),
      actor: { id: new Types.ObjectId(actor.id), email: actor.email },
      action: change.action,
      entity: change.entity,
      entityId: String(change.entityId),
      before,
      after,
    });
  }

  /** Newest first; `from` ≤ at < `to`. */
  async list(query: AuditLogQueryDto): Promise<Paginated<AuditEntry>> {
    const at = {
      ...(query.from && { $gte: new Date(query.from) }),
      ...(query.to && { $lt: new Date(query.to) }),
    };
    const filter: QueryFilter<AuditEntry> = {
      ...(query.entity && { entity: query.entity }),
      ...(query.entityId && { entityId: query.entityId }),
      ...(query.actorId && { 'actor.id': new Types.ObjectId(query.actorId) }),
      ...(Object.keys(at).length > 0 && { at }),
    };
    const [items, total] = await Promise.all([
      this.entries.find(filter).sort({ at: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit).lean<AuditEntry[]>(),
      this.entries.countDocuments(filter),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }
}
