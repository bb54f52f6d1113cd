import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';

/** Who made an admin change, as they were when they made it. */
export class AuditActorRecord {
  @Prop({ type: SchemaTypes.ObjectId, required: true })
  id!: Types.ObjectId;

  @Prop({ required: true })
  email!: string;
}

/**
 * One successful admin write: what it was, who made it, and the entity before and after.
 * Appended by AuditLog only; nothing updates or deletes an entry (no route, no verb).
 */
@Schema({ collection: 'audit_log', versionKey: false })
export class AuditEntry {
  _id!: Types.ObjectId;

  @Prop({ required: true })
  at!: Date;

  @Prop({ type: AuditActorRecord, required: true, _id: false })
  actor!: AuditActorRecord;

  /** `<entity>.<verb>`, e.g. `product.updated`, `order.statusChanged`. */
  @Prop({ required: true })
  action!: string;

  /** The resource's singular name: product, category, order, user, review. */
  @Prop({ required: true })
  entity!: string;

  @Prop({ required: true })
  entityId!: string;

  /** Null for a creation. */
  @Prop({ type: SchemaTypes.Mixed, default: null })
  before!: Record<string, unknown> | null;

  /** Null for a deletion. */
  @Prop({ type: SchemaTypes.Mixed, default: null })
  after!: Record<string, unknown> | null;
}

export type AuditEntryDocument = HydratedDocument<AuditEntry>;
export const AuditEntrySchema = SchemaFactory.createForClass(AuditEntry);
// The list is newest first, filtered by entity (+ id) or actor.
AuditEntrySchema.index({ at: -1, _id: -1 });
AuditEntrySchema.index({ entity: 1, entityId: 1, at: -1 });
AuditEntrySchema.index({ 'actor.id': 1, at: -1 });
