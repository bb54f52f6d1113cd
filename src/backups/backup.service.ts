import { Injectable, Logger } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection, mongo } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { appVersion } from '../core/app-version';
import { BackupManifest, backupIdTime, BackupTrigger, CollectionManifest, newBackupId } from './backup-manifest';
import { BackupStore } from './backup-store';
import { dumpCollection, Progress } from './driver-dump';
import { mongodumpArchive, mongoToolsOnPath } from './mongodump-archive';

/** Progress of one collection, for the command line's printer. */
export type CollectionProgress = (collection: string) => Progress;

/** A backup folder without manifest this old is abandoned (a killed run), not one still being written. */
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

export function isUserCollection(info: { name: string; type?: string }): boolean {
  return (info.type ?? 'collection') === 'collection' && !info.name.startsWith('system.');
}

/**
 * Writes one complete backup of the configured database to the backup bucket: the data
 * objects first, the manifest last, then applies retention (BACKUP_KEEP).
 */
@Injectable()
export class BackupService {
  private readonly logger = new Logger(BackupService.name);
  private readonly keep: number;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly store: BackupStore,
    private readonly config: AppConfig,
  ) {
    this.keep = config.get('BACKUP_KEEP');
  }

  async run(trigger: BackupTrigger, progress: CollectionProgress = () => () => undefined): Promise<BackupManifest> {
    await this.store.ensureBucket();
    const db = this.connection.db!;
    const startedAt = new Date();
    const id = newBackupId(startedAt);
    this.logger.log(`Backup ${id} of database ${db.databaseName} started`);
    const collections = await this.describeCollections(db);
    const manifest: BackupManifest = {
      manifestVersion: 1,
      id,
      format: mongoToolsOnPath() ? 'mongodump-archive' : 'bson-gzip',
      database: db.databaseName,
      appVersion: appVersion(),
      startedAt: startedAt.toISOString(),
      finishedAt: '',
      trigger,
      collections,
    };
    if (manifest.format === 'mongodump-archive') {
      const { body, done } = mongodumpArchive(this.config.get('MONGODB_URI'));
      manifest.archive = await this.store.upload(id, 'archive.gz', body);
      const counts = await done;
      for (const collection of collections) collection.documents = counts.get(collection.name) ?? 0;
    } else {
      for (const collection of collections) await this.dump(db, id, collection, progress(collection.name));
    }
    manifest.finishedAt = new Date().toISOString();
    await this.store.putManifest(manifest);
    const documents = collections.reduce((sum, collection) => sum + collection.documents, 0);
    this.logger.log(`Backup ${id} complete: ${collections.length} collections, ${documents} documents`);
    await this.applyRetention();
    return manifest;
  }

  private async describeCollections(db: mongo.Db): Promise<CollectionManifest[]> {
    const infos = (await db.listCollections().toArray()).filter(isUserCollection);
    infos.sort((a, b) => a.name.localeCompare(b.name));
    return Promise.all(
      infos.map(async (info) => ({
        name: info.name,
        options: mongo.BSON.EJSON.serialize((info as { options?: object }).options ?? {}, { relaxed: false }),
        indexes: (await db.collection(info.name).listIndexes().toArray()).map((index) =>
          mongo.BSON.EJSON.serialize(index, { relaxed: false }),
        ),
        documents: 0,
        bytes: null,
      })),
    );
  }

  private async dump(db: mongo.Db, id: string, collection: CollectionManifest, progress: Progress): Promise<void> {
    const source = db.collection(collection.name);
    const total = await source.estimatedDocumentCount();
    const { body, summary } = dumpCollection(source, total, progress);
    collection.object = await this.store.upload(id, `${encodeURIComponent(collection.name)}.bson.gz`, body);
    const { documents, bytes, contentSha256 } = summary();
    Object.assign(collection, { documents, bytes, contentSha256 });
    progress(documents, documents);
  }

  /**
   * Keeps the newest BACKUP_KEEP complete backups. Runs only after a new manifest is written,
   * with BACKUP_KEEP ≥ 1, so the newest good backup is never the one deleted. A failure here
   * is logged, not thrown: the backup itself is complete, and the next run prunes again.
   */
  private async applyRetention(): Promise<void> {
    try {
      const all = await this.store.all();
      const complete = all.filter((backup) => backup.complete);
      for (const old of complete.slice(this.keep)) {
        await this.store.delete(old.id);
        this.logger.log(`Backup ${old.id} deleted (BACKUP_KEEP=${this.keep})`);
      }
      const oldestKept = complete[Math.min(this.keep, complete.length) - 1]?.id;
      const abandoned = all.filter(
        (backup) => !backup.complete && oldestKept && backup.id < oldestKept && Date.now() - backupIdTime(backup.id).getTime() > ABANDONED_AFTER_MS,
      );
      for (const leftover of abandoned) {
        await this.store.delete(leftover.id);
        this.logger.log(`Incomplete backup ${leftover.id} deleted`);
      }
    } catch (error) {
      this.logger.warn(`Retention of old backups failed, retried by the next backup: ${(error as Error).message}`);
    }
  }
}
