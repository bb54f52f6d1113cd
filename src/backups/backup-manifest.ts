import { randomBytes } from 'node:crypto';

/** How the data objects of a backup are written. */
export type BackupFormat =
  /** One gzipped object per collection: the raw BSON documents back to back, as mongodump's `.bson` files. */
  | 'bson-gzip'
  /** One `mongodump --archive --gzip` object for the whole database. */
  | 'mongodump-archive';

/** Why a backup was taken: by hand (`npm run backup`) or by the worker's schedule. */
export type BackupTrigger = { kind: 'command' } | { kind: 'schedule'; jobId: string; scheduledFor: string };

export interface CollectionManifest {
  name: string;
  /** createCollection options (validator, capped, ...), canonical Extended JSON. */
  options: Record<string, unknown>;
  /** listIndexes output, canonical Extended JSON so that key directions keep their BSON type. */
  indexes: Record<string, unknown>[];
  documents: number;
  /** Bytes of BSON before compression; null when mongodump wrote the data. */
  bytes: number | null;
  /** The data object of this collection (bson-gzip only). */
  object?: StoredObject;
  /** SHA-256 of the documents' BSON in `_id` order: what a restored collection must read back as. */
  contentSha256?: string;
}

export interface StoredObject {
  key: string;
  /** Bytes as stored (compressed). */
  bytes: number;
  /** SHA-256 of the stored bytes, checked while a restore downloads them. */
  sha256: string;
}

/**
 * Written last, after every data object: a backup whose manifest exists is complete, one without
 * it (storage down, process killed) is never listed as restorable.
 */
export interface BackupManifest {
  manifestVersion: 1;
  id: string;
  format: BackupFormat;
  database: string;
  appVersion: string;
  startedAt: string;
  finishedAt: string;
  trigger: BackupTrigger;
  collections: CollectionManifest[];
  /** The single archive object (mongodump-archive only). */
  archive?: StoredObject;
}

/** `20261125-214605-123-4f2a`: UTC time first, so ids sort by age; a random tail against collisions. */
export const BACKUP_ID_PATTERN = /^\d{8}-\d{6}-\d{3}-[0-9a-f]{4}$/;

export function newBackupId(at: Date = new Date()): string {
  const iso = at.toISOString(); // 2026-11-25T21:46:05.123Z
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function backupIdTime(id: string): Date {
  const [day, time, millis] = id.split('-');
  return new Date(
    `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}.${millis}Z`,
  );
}
