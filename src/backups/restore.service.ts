import { Injectable, Logger } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection, mongo } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { BACKUP_ID_PATTERN, BackupManifest, CollectionManifest } from './backup-manifest';
import { BackupStore } from './backup-store';
import { CollectionProgress, isUserCollection } from './backup.service';
import { digestCollection, loadCollection } from './driver-dump';
import { mongorestoreArchive } from './mongodump-archive';

/** A restore that must not start; nothing was changed. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

export interface RestoreReport {
  manifest: BackupManifest;
  database: string;
  /** Every difference between the restored database and the manifest; empty when all matched. */
  problems: string[];
}

/** Database names MongoDB accepts on every platform, without quoting surprises on a command line. */
const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** Lists the complete backups and restores one into a named database, then proves it matches. */
@Injectable()
export class RestoreService {
  private readonly logger = new Logger(RestoreService.name);

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly store: BackupStore,
    private readonly config: AppConfig,
  ) {}

  /** Restorable backups (those with a manifest), newest first. */
  async list(): Promise<BackupManifest[]> {
    const complete = (await this.store.all()).filter((backup) => backup.complete);
    const manifests = await Promise.all(complete.map((backup) => this.store.manifestOf(backup.id)));
    return manifests.filter((manifest): manifest is BackupManifest => manifest !== undefined);
  }

  async restore(id: string, database: string, options: { force: boolean; progress?: CollectionProgress }): Promise<RestoreReport> {
    if (!BACKUP_ID_PATTERN.test(id)) throw new RestoreRefusedError(`"${id}" is not a backup id (see restore --list)`);
    if (!DATABASE_NAME.test(database)) throw new RestoreRefusedError(`"${database}" is not a database name (letters, digits, _ and -, at most 63)`);
    const manifest = await this.store.manifestOf(id);
    if (!manifest) throw new RestoreRefusedError(`No complete backup ${id} (see restore --list)`);

    const target = this.connection.getClient().db(database);
    const existing = (await target.listCollections({}, { nameOnly: true }).toArray()).filter(isUserCollection);
    if (existing.length > 0 && !options.force) {
      throw new RestoreRefusedError(
        `Database ${database} is not empty (${existing.map((c) => c.name).join(', ')}); nothing changed. Pass --force to replace its contents`,
      );
    }
    // --force replaces the database: afterwards it holds exactly what the backup held.
    for (const { name } of existing) await target.dropCollection(name);

    const progress = options.progress ?? (() => () => undefined);
    const problems: string[] = [];
    if (manifest.format === 'mongodump-archive') {
      const { stream, verify } = await this.store.download(manifest.archive!);
      const server = new URL(this.config.get('MONGODB_URI'));
      server.pathname = '/';
      await mongorestoreArchive(server.toString(), manifest.database, database, stream);
      problems.push(...[verify()].filter((problem): problem is string => problem !== null));
    } else {
      for (const collection of manifest.collections) {
        problems.push(...(await this.load(target, collection, progress(collection.name))));
      }
    }
    for (const collection of manifest.collections) {
      if (manifest.format === 'mongodump-archive') continue; // mongorestore builds the indexes itself
      await this.createIndexes(target, collection);
    }
    problems.push(...(await this.verify(target, manifest)));
    this.logger.log(`Restore of ${id} into ${database}: ${problems.length === 0 ? 'verified' : `${problems.length} problem(s)`}`);
    return { manifest, database, problems };
  }

  private async load(target: mongo.Db, collection: CollectionManifest, progress: (done: number, total: number) => void): Promise<string[]> {
    await target.createCollection(collection.name, mongo.BSON.EJSON.deserialize(collection.options, { relaxed: false }));
    const { stream, verify } = await this.store.download(collection.object!);
    const loaded = await loadCollection(stream, target.collection(collection.name), collection.documents, progress);
    progress(loaded.documents, collection.documents);
    const problems = [verify()].filter((problem): problem is string => problem !== null);
    if (loaded.contentSha256 !== collection.contentSha256) {
      problems.push(`${collection.name}: the stored documents do not hash to the manifest's checksum`);
    }
    return problems;
  }

  private async createIndexes(target: mongo.Db, collection: CollectionManifest): Promise<void> {
    const indexes = collection.indexes
      .map((index) => mongo.BSON.EJSON.deserialize(index, { relaxed: false }) as mongo.Document)
      .filter((index) => index.name !== '_id_')
      .map(({ v: _version, ns: _namespace, ...spec }) => spec);
    if (indexes.length > 0) await target.command({ createIndexes: collection.name, indexes });
  }

  /** Reads the restored database back: counts, content checksums and index definitions. */
  private async verify(target: mongo.Db, manifest: BackupManifest): Promise<string[]> {
    const problems: string[] = [];
    for (const collection of manifest.collections) {
      const restored = target.collection(collection.name);
      if (collection.contentSha256) {
        const { documents, contentSha256 } = await digestCollection(restored);
        if (documents !== collection.documents) problems.push(`${collection.name}: ${documents} documents, the manifest says ${collection.documents}`);
        else if (contentSha256 !== collection.contentSha256) problems.push(`${collection.name}: the restored documents differ from the backup's (checksum)`);
      } else {
        const documents = await restored.countDocuments();
        if (documents !== collection.documents) problems.push(`${collection.name}: ${documents} documents, the manifest says ${collection.documents}`);
      }
      const present = new Map((await restored.listIndexes().toArray()).map((index) => [index.name as string, indexSignature(index)]));
      for (const index of collection.indexes) {
        const expected = indexSignature(mongo.BSON.EJSON.deserialize(index, { relaxed: false }));
        const name = index.name as string;
        if (!present.has(name)) problems.push(`${collection.name}: index ${name} is missing`);
        else if (present.get(name) !== expected) problems.push(`${collection.name}: index ${name} differs: ${present.get(name)} instead of ${expected}`);
      }
    }
    return problems;
  }
}

/** An index definition as comparable text: options in name order, the key in its own order. */
function indexSignature(index: mongo.Document): string {
  const { v: _version, ns: _namespace, ...spec } = index;
  const sorted = Object.fromEntries(Object.keys(spec).sort().map((key) => [key, spec[key]]));
  return mongo.BSON.EJSON.stringify(sorted, { relaxed: false });
}
