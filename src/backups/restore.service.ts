import { Inject, Injectable, Logger } from '@nestjs/common';
import type { default as Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection, mongo } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { BACKUP_ID_PATTERN, BackupManifest, CollectionManifest } from './backup-manifest';
import { BackupStore } from './backup-store';
import { CollectionProgress, isUserCollection } from './backup.service';
import { digestCollection, loadCollection } from './driver-dump';
import { mongorestoreArchive } from './mongodump-archive';
import { CATALOG_VERSION_KEYS } from '../products/catalog-version';
import { PRICING_VERSION_KEY } from '../pricing/pricing-settings-cache';
import { REDIS } from '../redis/redis.module';
import { bumpCounters } from '../redis/version-counter';

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

export interface RestoreOptions {
  /** Replace the contents of a non-empty database. */
  force: boolean;
  /** With force: the target may be the database in MONGODB_URI, the one the deployment runs on. */
  replaceLive?: boolean;
  progress?: CollectionProgress;
}

/** Where a restore loads and verifies a backup before it replaces anything: `<prefix><run>.<collection>`. */
const STAGING_PREFIX = 'restore-staging.';

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
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Restorable backups (those with a manifest), newest first. */
  async list(): Promise<BackupManifest[]> {
    const complete = (await this.store.all()).filter((backup) => backup.complete);
    const manifests = await Promise.all(complete.map((backup) => this.store.manifestOf(backup.id)));
    return manifests.filter((manifest): manifest is BackupManifest => manifest !== undefined);
  }

  /**
   * Restores into staging collections of the target database, verifies them there, and only then
   * swaps them in (one rename per collection, dropping the old one): a corrupt, incomplete or
   * unreachable backup leaves the target as it was. Staging collections live in the target
   * database, not in a temporary one, because renames across databases are broken on the
   * MongoDB stand-in (ARCHITECTURE.md) while renames within one are metadata-only on MongoDB.
   * Swapped into the live database, it then invalidates the API's caches (invalidateCaches).
   */
  async restore(id: string, database: string, options: RestoreOptions): Promise<RestoreReport> {
    if (!BACKUP_ID_PATTERN.test(id)) throw new RestoreRefusedError(`"${id}" is not a backup id (see restore --list)`);
    if (!DATABASE_NAME.test(database)) throw new RestoreRefusedError(`"${database}" is not a database name (letters, digits, _ and -, at most 63)`);
    const manifest = await this.store.manifestOf(id);
    if (!manifest) throw new RestoreRefusedError(`No complete backup ${id} (see restore --list)`);

    const target = this.connection.getClient().db(database);
    const existing = (await this.userCollections(target)).filter((name) => !name.startsWith(STAGING_PREFIX));
    if (existing.length > 0) this.refuseReplacing(database, existing, options);

    // The caches are invalidated after the swap: a restore that could not do it does not start.
    const live = database === this.connection.db!.databaseName;
    if (live) {
      await this.redis.ping().catch((error: Error) => {
        throw new RestoreRefusedError(`Redis is unreachable (${error.message}), so the API's caches could not be invalidated after the restore; nothing changed`);
      });
    }
    const staging = `${STAGING_PREFIX}${randomBytes(4).toString('hex')}.`;
    try {
      const problems = await this.restoreStaged(manifest, target, staging, options.progress ?? (() => () => undefined));
      if (problems.length > 0) {
        this.logger.warn(`Restore of ${id} into ${database}: ${problems.length} problem(s), ${database} left as it was`);
        return { manifest, database, problems };
      }
      await this.swapIn(target, staging, manifest);
      if (live) {
        await this.invalidateCaches().catch((error: Error) => {
          throw new Error(
            `Backup ${id} is restored and verified, but the API's caches were not invalidated (${error.message}): until they are, ` +
              'the API may answer catalog reads and quotes from before the restore. Run `npm run restore -- --invalidate-caches` once Redis is reachable',
          );
        });
      }
    } finally {
      // After a swap nothing of this run is left; after a failure this drops what was loaded.
      await this.dropStaged(target, staging).catch((error: Error) => this.logger.warn(`Staging collections ${staging}* not dropped: ${error.message}`));
    }
    this.logger.log(`Restore of ${id} into ${database}: verified and swapped in`);
    return { manifest, database, problems: [] };
  }

  /**
   * The API processes hold what they read of the live database under Redis versions (the
   * catalog's answers and figures, the pricing settings); a write bumps them, and a restore is a
   * write of everything. Without the bump they would go on answering from before the restore.
   * Also a command of its own (`restore --invalidate-caches`), for when that bump failed.
   */
  async invalidateCaches(): Promise<void> {
    try {
      await bumpCounters(this.redis, [...CATALOG_VERSION_KEYS, PRICING_VERSION_KEY]);
    } catch (error) {
      throw new Error(`Redis: ${(error as Error).message}`);
    }
  }

  /** A non-empty target needs --force; the database the deployment runs on needs --replace-live too. */
  private refuseReplacing(database: string, existing: string[], options: RestoreOptions): void {
    if (!options.force) {
      throw new RestoreRefusedError(`Database ${database} is not empty (${existing.join(', ')}); nothing changed. Pass --force to replace its contents`);
    }
    if (database === this.connection.db!.databaseName && !options.replaceLive) {
      throw new RestoreRefusedError(
        `Database ${database} is the live one (MONGODB_URI); nothing changed. Pass --replace-live as well as --force to replace it`,
      );
    }
  }

  /** Loads the backup under the staging names and verifies it there; returns every problem found. */
  private async restoreStaged(manifest: BackupManifest, target: mongo.Db, staging: string, progress: CollectionProgress): Promise<string[]> {
    const problems: string[] = [];
    if (manifest.format === 'mongodump-archive') {
      const { stream, verify } = await this.store.download(manifest.archive!);
      const server = new URL(this.config.get('MONGODB_URI'));
      server.pathname = '/';
      // mongorestore builds the indexes itself.
      await mongorestoreArchive(server.toString(), manifest.database, target.databaseName, staging, stream);
      problems.push(...[verify()].filter((problem): problem is string => problem !== null));
    } else {
      for (const collection of manifest.collections) {
        problems.push(...(await this.load(target, staging + collection.name, collection, progress(collection.name))));
        await this.createIndexes(target, staging + collection.name, collection);
      }
    }
    problems.push(...(await this.verify(target, staging, manifest)));
    return problems;
  }

  /**
   * Each staged collection replaces its namesake (renameCollection with dropTarget); then the
   * target's collections the backup does not hold are dropped, so it holds exactly the backup.
   */
  private async swapIn(target: mongo.Db, staging: string, manifest: BackupManifest): Promise<void> {
    const admin = this.connection.getClient().db('admin');
    const db = target.databaseName;
    for (const { name } of manifest.collections) {
      await admin.command({ renameCollection: `${db}.${staging}${name}`, to: `${db}.${name}`, dropTarget: true });
    }
    const restored = new Set(manifest.collections.map(({ name }) => name));
    for (const name of await this.userCollections(target)) {
      // Also the leftovers of an earlier restore that was killed before it cleaned up.
      if (!restored.has(name) && !name.startsWith(staging)) await target.dropCollection(name);
    }
  }

  private async dropStaged(target: mongo.Db, staging: string): Promise<void> {
    for (const name of await this.userCollections(target)) {
      if (name.startsWith(staging)) await target.dropCollection(name);
    }
  }

  private async userCollections(db: mongo.Db): Promise<string[]> {
    return (await db.listCollections({}, { nameOnly: true }).toArray()).filter(isUserCollection).map(({ name }) => name);
  }

  private async load(
    target: mongo.Db,
    as: string,
    collection: CollectionManifest,
    progress: (done: number, total: number) => void,
  ): Promise<string[]> {
    await target.createCollection(as, mongo.BSON.EJSON.deserialize(collection.options, { relaxed: false }));
    const { stream, verify } = await this.store.download(collection.object!);
    const loaded = await loadCollection(stream, target.collection(as), collection.documents, progress);
    progress(loaded.documents, collection.documents);
    const problems = [verify()].filter((problem): problem is string => problem !== null);
    if (loaded.contentSha256 !== collection.contentSha256) {
      problems.push(`${collection.name}: the stored documents do not hash to the manifest's checksum`);
    }
    return problems;
  }

  private async createIndexes(target: mongo.Db, as: string, collection: CollectionManifest): Promise<void> {
    const indexes = collection.indexes
      .map((index) => mongo.BSON.EJSON.deserialize(index, { relaxed: false }) as mongo.Document)
      .filter((index) => index.name !== '_id_')
      .map(({ v: _version, ns: _namespace, ...spec }) => spec);
    if (indexes.length > 0) await target.command({ createIndexes: as, indexes });
  }

  /** Reads the staged collections back: counts, content checksums and index definitions. */
  private async verify(target: mongo.Db, staging: string, manifest: BackupManifest): Promise<string[]> {
    const problems: string[] = [];
    for (const collection of manifest.collections) {
      const restored = target.collection(staging + collection.name);
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
