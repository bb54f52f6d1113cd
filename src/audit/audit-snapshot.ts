import { Types } from 'mongoose';

/**
 * Fields that never enter the audit log, at any depth: credentials and secrets. An entry is read
 * by every admin, and a log that copied them would be one more place to steal them from.
 */
const NEVER_LOGGED = /^(passwordHash|password|secret|.*Secret|.*Token|.*TokenHash|refreshHash)$/;

export type AuditSnapshot = Record<string, unknown>;

/**
 * A plain, JSON-like copy of an entity for the log: documents become objects, ids strings,
 * dates stay dates; secret fields and the fields in `omit` (derived or bulky ones, such as
 * search tokens) are left out.
 */
export function auditSnapshot(entity: unknown, omit: readonly string[] = []): AuditSnapshot | null {
  if (entity === null || entity === undefined) return null;
  const plain = hasToObject(entity) ? entity.toObject({ depopulate: true, versionKey: false }) : entity;
  const copy = plainCopy(plain) as AuditSnapshot;
  for (const field of omit) delete copy[field];
  return copy;
}

function plainCopy(value: unknown): unknown {
  if (value instanceof Types.ObjectId) return value.toHexString();
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(plainCopy);
  if (value && typeof value === 'object') {
    if (hasToObject(value)) return plainCopy(value.toObject());
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !NEVER_LOGGED.test(key) && key !== '__v')
        .map(([key, field]) => [key, plainCopy(field)]),
    );
  }
  return value;
}

function hasToObject(value: unknown): value is { toObject(options?: object): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toObject?: unknown }).toObject === 'function';
}
