import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Readable } from 'node:stream';

/** Whether MongoDB's own tools are installed: then they write and read the backup. */
export function mongoToolsOnPath(): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const onPath = (tool: string) =>
    dirs.some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return onPath('mongodump') && onPath('mongorestore');
}

/**
 * The connection string goes in a config file readable only by this user, not on the command
 * line, where any user of the machine could read its password in the process list.
 */
async function withUriConfig<T>(uri: string, use: (configFile: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'shop-backup-'));
  const file = join(dir, 'config.yaml');
  try {
    await writeFile(file, `uri: ${JSON.stringify(uri)}\n`, { mode: 0o600 });
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `mongodump --archive --gzip` of the database in `uri`, as a stream for the bucket. The counts
 * per collection come from mongodump's own report ("done dumping db.coll (N documents)");
 * `done` rejects when mongodump fails.
 */
export function mongodumpArchive(uri: string): { body: Readable; done: Promise<Map<string, number>> } {
  let resolveBody!: (body: Readable) => void;
  const bodyReady = new Promise<Readable>((resolve) => (resolveBody = resolve));
  const done = withUriConfig(uri, (config) => {
    const child = spawn('mongodump', [`--config=${config}`, '--archive', '--gzip'], { stdio: ['ignore', 'pipe', 'pipe'] });
    resolveBody(child.stdout);
    return toolExit(child, 'mongodump');
  }).then((log) => {
    const counts = new Map<string, number>();
    for (const match of log.matchAll(/done dumping [^.\s]+\.(\S+) \((\d+) documents?\)/g)) counts.set(match[1], Number(match[2]));
    return counts;
  });
  const body = Readable.from(
    (async function* () {
      yield* await bodyReady;
    })(),
    { objectMode: false },
  );
  done.catch((error: Error) => body.destroy(error));
  return { body, done };
}

/**
 * Feeds an archive to `mongorestore`: collection `<from>.<name>` of the archive goes to
 * `<to>.<prefix><name>` (mongorestore's `$var$` renaming).
 */
export async function mongorestoreArchive(serverUri: string, from: string, to: string, prefix: string, archive: Readable): Promise<void> {
  await withUriConfig(serverUri, (config) => {
    const child = spawn(
      'mongorestore',
      [`--config=${config}`, '--archive', '--gzip', `--nsFrom=${from}.$coll$`, `--nsTo=${to}.${prefix}$coll$`],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    archive.pipe(child.stdin!);
    archive.once('error', () => child.kill());
    return toolExit(child, 'mongorestore');
  });
}

function toolExit(child: ReturnType<typeof spawn>, tool: string): Promise<string> {
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(log) : reject(new Error(`${tool} exited with ${code}: ${log.trim().split('\n').slice(-3).join(' | ')}`))));
  });
}
