import { NestFactory } from '@nestjs/core';
import { progressPrinter } from '../core/progress';
import { BackupManifest } from './backup-manifest';
import { BackupCommandModule } from './backup-command.module';
import { BackupService } from './backup.service';
import { RestoreService } from './restore.service';

const USAGE = `usage: backup                                   one backup of the configured database; the last line starts with its id
       restore --list                           restorable backups, newest first, one a line, the id first
       restore <id> --db <name> [--force [--replace-live]]
                                                restore a backup into database <name>, verify it, then swap it in
                                                (--force replaces the contents of a non-empty database; replacing
                                                the database in MONGODB_URI takes --replace-live as well)
       restore --invalidate-caches              make the API read the catalog and pricing settings afresh (what a
                                                restore over the live database does after its swap)`;

/** Exit codes: 0 success, 1 failure (nothing restorable written, or a restore that did not verify), 2 usage. */
class UsageError extends Error {}

type Parsed =
  | { command: 'backup' }
  | { command: 'list' }
  | { command: 'invalidate-caches' }
  | { command: 'restore'; id: string; database: string; force: boolean; replaceLive: boolean };

function parse(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === 'backup' && rest.length === 0) return { command };
  if (command !== 'restore') throw new UsageError();
  if (rest.length === 1 && rest[0] === '--list') return { command: 'list' };
  if (rest.length === 1 && rest[0] === '--invalidate-caches') return { command: 'invalidate-caches' };
  const force = rest.includes('--force');
  const replaceLive = rest.includes('--replace-live');
  if (replaceLive && !force) throw new UsageError();
  const args = rest.filter((arg) => arg !== '--force' && arg !== '--replace-live');
  const dbFlag = args.indexOf('--db');
  const database = dbFlag >= 0 ? args[dbFlag + 1] : undefined;
  const positional = args.filter((_arg, index) => index !== dbFlag && index !== dbFlag + 1);
  if (!database || positional.length !== 1 || positional[0].startsWith('-')) throw new UsageError();
  return { command: 'restore', id: positional[0], database, force, replaceLive };
}

function describe(manifest: BackupManifest): string {
  const documents = manifest.collections.reduce((sum, collection) => sum + collection.documents, 0);
  const stored = manifest.archive?.bytes ?? manifest.collections.reduce((sum, collection) => sum + (collection.object?.bytes ?? 0), 0);
  const bson = manifest.collections.reduce((sum, collection) => sum + (collection.bytes ?? 0), 0);
  const size = `${mebibytes(stored)} MiB stored` + (bson > 0 ? ` (${mebibytes(bson)} MiB of BSON)` : '');
  return `${manifest.id}  ${manifest.finishedAt}  ${manifest.database}  ${plural(manifest.collections.length, 'collection')}  ${plural(documents, 'document')}  ${size}  ${manifest.trigger.kind}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

const collectionProgress = (collection: string) => progressPrinter(collection);

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch {
    console.error(USAGE);
    return 2;
  }
  const app = await NestFactory.createApplicationContext(BackupCommandModule, { logger: ['error', 'warn'] });
  try {
    if (parsed.command === 'backup') {
      const started = Date.now();
      const manifest = await app.get(BackupService).run({ kind: 'command' }, collectionProgress);
      console.log(`${manifest.id} complete in ${((Date.now() - started) / 1000).toFixed(1)} s: ${describe(manifest).split('  ').slice(2).join(', ')}`);
      return 0;
    }
    const restore = app.get(RestoreService);
    if (parsed.command === 'list') {
      for (const manifest of await restore.list()) console.log(describe(manifest));
      return 0;
    }
    if (parsed.command === 'invalidate-caches') {
      await restore.invalidateCaches();
      console.log('caches invalidated: the API reads the catalog and the pricing settings afresh');
      return 0;
    }
    const started = Date.now();
    const report = await restore.restore(parsed.id, parsed.database, { force: parsed.force, replaceLive: parsed.replaceLive, progress: collectionProgress });
    for (const problem of report.problems) console.error(`MISMATCH ${problem}`);
    const { collections } = report.manifest;
    const documents = collections.reduce((sum, collection) => sum + collection.documents, 0);
    const indexes = collections.reduce((sum, collection) => sum + collection.indexes.length, 0);
    if (report.problems.length > 0) {
      console.log(`${report.manifest.id} FAILED verification (${report.problems.length} problem(s)): nothing swapped in, ${report.database} left as it was`);
      return 1;
    }
    console.log(
      `${report.manifest.id} restored into ${report.database} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${plural(collections.length, 'collection')}, ${plural(documents, 'document')}, ${plural(indexes, 'index', 'indexes')}, verified`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
