import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsMongoId, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsTimestamp, PaginatedResponseDto, PaginationQueryDto } from '@app/common';
import type { AuditEntry } from '../schemas/audit-entry.schema';

export const AUDITED_ENTITIES = ['product', 'category', 'order', 'user', 'review', 'webhook', 'promotion', 'taxRate', 'shippingMethod'] as const;

export class AuditLogQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(AUDITED_ENTITIES)
  entity?: (typeof AUDITED_ENTITIES)[number];

  /** The changed resource's id. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  entityId?: string;

  /** The admin who made the change. */
  @IsOptional()
  @IsMongoId()
  actorId?: string;

  /** At or after this moment (ISO 8601). */
  @IsOptional()
  @IsTimestamp()
  from?: string;

  /** Before this moment (ISO 8601). */
  @IsOptional()
  @IsTimestamp()
  to?: string;
}

export class AuditActorResponseDto {
  id!: string;
  email!: string;
}

export class AuditEntryResponseDto {
  id!: string;
  at!: Date;
  actor!: AuditActorResponseDto;
  /** `<entity>.<verb>`, e.g. `product.updated`. */
  action!: string;
  entity!: string;
  entityId!: string;

  /** The entity before the change (null for a creation); secrets and password hashes are never included. */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  before!: Record<string, unknown> | null;

  /** The entity after the change (null for a deletion). */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  after!: Record<string, unknown> | null;
}

export class AuditLogResponseDto extends PaginatedResponseDto(AuditEntryResponseDto) {}

export function toAuditEntryResponse(entry: AuditEntry): AuditEntryResponseDto {
  return {
    id: entry._id.toHexString(),
    at: entry.at,
    actor: { id: entry.actor.id.toHexString(), email: entry.actor.email },
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId,
    before: entry.before ?? null,
    after: entry.after ?? null,
  };
}
