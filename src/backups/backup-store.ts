import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { AppConfig } from '../config/app-config';
import { BACKUP_ID_PATTERN, BackupManifest, StoredObject } from './backup-manifest';
import { tap } from './streams';

const MANIFEST = 'manifest.json';

/** A backup folder in the bucket; `complete` once its manifest is written. */
export interface StoredBackup {
  id: string;
  complete: boolean;
}

/**
 * The private backup bucket: `<BACKUP_PREFIX><id>/<objects>` and `<id>/manifest.json`, reached
 * with the backups' own key (BACKUP_S3_*), which only the worker and the command line hold: the
 * API's key (S3_*) is limited to the image bucket, so a leaked API key reads no backup.
 */
@Injectable()
export class BackupStore {
  private readonly logger = new Logger(BackupStore.name);
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;
  private bucketChecked = false;

  constructor(config: AppConfig) {
    this.client = new S3Client({
      region: config.get('S3_REGION'),
      endpoint: config.get('BACKUP_S3_ENDPOINT') ?? config.get('S3_ENDPOINT'),
      forcePathStyle: config.get('S3_FORCE_PATH_STYLE'),
      credentials: backupCredentials(config),
    });
    this.bucket = config.get('BACKUP_BUCKET');
    this.prefix = config.get('BACKUP_PREFIX');
  }

  /**
   * Creates the bucket when missing (private: no policy) and switches versioning on, so that a
   * deleted or overwritten backup can still be recovered. Some servers (single-drive MinIO)
   * refuse versioning; the backup then goes on without it.
   */
  async ensureBucket(): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if ((error as S3ServiceException).$metadata?.httpStatusCode !== 404) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
      this.logger.log(`Created backup bucket ${this.bucket}`);
    }
    try {
      const { Status } = await this.client.send(new GetBucketVersioningCommand({ Bucket: this.bucket }));
      if (Status !== 'Enabled') {
        await this.client.send(
          new PutBucketVersioningCommand({ Bucket: this.bucket, VersioningConfiguration: { Status: 'Enabled' } }),
        );
      }
    } catch (error) {
      this.logger.warn(`Bucket ${this.bucket} keeps no versions (the storage refused versioning: ${(error as Error).message})`);
    }
    this.bucketChecked = true;
  }

  keyOf(id: string, name: string): string {
    return `${this.prefix}${id}/${name}`;
  }

  /**
   * Streams `body` into one object (multipart for large ones, a few parts in memory at most)
   * and returns its size and SHA-256. A failed upload is aborted, leaving no object.
   */
  async upload(id: string, name: string, body: Readable): Promise<StoredObject> {
    const key = this.keyOf(id, name);
    const hash = createHash('sha256');
    let bytes = 0;
    const measured = body.pipe(
      tap((chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      }),
    );
    body.once('error', (error) => measured.destroy(error));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: measured, ContentType: 'application/gzip' },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // Stop the producer too: a dead storage must not leave a cursor reading into nowhere.
      body.destroy();
      throw error;
    }
    return { key, bytes, sha256: hash.digest('hex') };
  }

  /** The object's bytes as a stream, plus a check of its SHA-256 once the stream has ended. */
  async download(object: StoredObject): Promise<{ stream: Readable; verify: () => string | null }> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: object.key }));
    const hash = createHash('sha256');
    let bytes = 0;
    const stream = (response.Body as Readable).pipe(
      tap((chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
      }),
    );
    (response.Body as Readable).once('error', (error) => stream.destroy(error));
    const verify = () => {
      const sha256 = hash.digest('hex');
      if (sha256 !== object.sha256 || bytes !== object.bytes) {
        return `${object.key}: ${bytes} bytes with SHA-256 ${sha256}, the manifest says ${object.bytes} bytes with ${object.sha256}`;
      }
      return null;
    };
    return { stream, verify };
  }

  /** Written last: from now on the backup is complete and restorable. */
  async putManifest(manifest: BackupManifest): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(manifest.id, MANIFEST),
        Body: JSON.stringify(manifest, null, 2),
        ContentType: 'application/json',
      }),
    );
  }

  async manifestOf(id: string): Promise<BackupManifest | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id, MANIFEST) }));
      return JSON.parse(await response.Body!.transformToString()) as BackupManifest;
    } catch (error) {
      if ((error as S3ServiceException).name === 'NoSuchKey' || (error as S3ServiceException).$metadata?.httpStatusCode === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Every backup folder holding objects now, newest first. Read from the object keys, not from
   * folder prefixes: in a versioned bucket a deleted backup's folder still shows as a prefix
   * (its delete markers), though nothing in it is current.
   */
  async all(): Promise<StoredBackup[]> {
    const backups = new Map<string, StoredBackup>();
    for (const key of await this.keysUnder(this.prefix)) {
      const [id, name] = key.slice(this.prefix.length).split('/');
      if (!BACKUP_ID_PATTERN.test(id) || name === undefined) continue;
      const backup = backups.get(id) ?? { id, complete: false };
      backup.complete ||= name === MANIFEST;
      backups.set(id, backup);
    }
    return [...backups.values()].sort((a, b) => b.id.localeCompare(a.id));
  }

  /** Deletes a backup, its manifest first: a half-deleted backup is never listed as restorable. */
  async delete(id: string): Promise<void> {
    const keys = await this.keysUnder(this.keyOf(id, ''));
    const manifest = this.keyOf(id, MANIFEST);
    // Only keys that exist: in a versioned bucket, deleting a missing key still adds a delete marker.
    if (keys.includes(manifest)) await this.deleteKeys([manifest]);
    const data = keys.filter((key) => key !== manifest);
    for (let start = 0; start < data.length; start += 1000) await this.deleteKeys(data.slice(start, start + 1000));
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const result = await this.client.send(
      new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = result.Errors ?? [];
    if (failed.length > 0) throw new Error(`Could not delete ${failed.map((error) => `${error.Key} (${error.Message})`).join(', ')}`);
  }
}

/**
 * BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY; outside production S3_*'s when both
 * are unset (the local stack has one MinIO user). Production never borrows the API's key: a
 * backup taken with it would mean the API's key reaches the backup bucket.
 */
function backupCredentials(config: AppConfig): { accessKeyId: string; secretAccessKey: string } | undefined {
  const own = { accessKeyId: config.get('BACKUP_S3_ACCESS_KEY_ID'), secretAccessKey: config.get('BACKUP_S3_SECRET_ACCESS_KEY') };
  if (own.accessKeyId && own.secretAccessKey) return { accessKeyId: own.accessKeyId, secretAccessKey: own.secretAccessKey };
  if (own.accessKeyId || own.secretAccessKey) {
    throw new Error('Set both BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY, or neither');
  }
  if (config.get('NODE_ENV') === 'production') {
    throw new Error('Backups need their own key in production: set BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY (the API process gets neither)');
  }
  const accessKeyId = config.get('S3_ACCESS_KEY_ID');
  const secretAccessKey = config.get('S3_SECRET_ACCESS_KEY');
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}
