import { ChildProcess, spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, waitFor } from './wait';

/**
 * A private server process for tests that stop and restart it (outage tests) without
 * disturbing the shared local stack: Redis, MailDev, the MongoDB stand-in or MinIO from the stack's
 * cache, or the built API itself.
 */
export class ServerProcess {
  private child?: ChildProcess;

  private constructor(
    private readonly name: string,
    readonly port: number,
    private readonly command: (port: number) => [string, string[], Record<string, string>?],
    /** Further ports the server opens (MailDev's web API) that must answer before it counts as up. */
    private readonly otherPorts: number[] = [],
  ) {}

  /**
   * With `snapshotDir`, a restart loads the last snapshot taken there (the test takes it with
   * SAVE; none is taken on its own, not even at a stop): what was written since is lost, as when
   * Redis loses its last writes.
   */
  static async redis(options: { snapshotDir?: string } = {}): Promise<ServerProcess> {
    const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    const snapshots = options.snapshotDir ? ['--dir', options.snapshotDir, '--dbfilename', 'dump.rdb'] : [];
    return ServerProcess.started('redis-server', (port) => [
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...snapshots],
    ]);
  }

  /**
   * A private MailDev (from the stack's cache), returned NOT started, for tests that begin with SMTP
   * down: `port` is its SMTP port, `webUrl` its REST API (read it with `new Mailbox(webUrl)`).
   */
  static async maildev(): Promise<ServerProcess & { webUrl: string }> {
    const cache = process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'shop-backend');
    const webPort = await freePort();
    const server = new ServerProcess(
      'maildev',
      await freePort(),
      (port) => [
        join(cache, 'maildev', 'node_modules', '.bin', 'maildev'),
        ['--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--smtp', String(port), '--web', String(webPort)],
      ],
      [webPort],
    );
    return Object.assign(server, { webUrl: `http://127.0.0.1:${webPort}` });
  }

  /** The memory-backed stand-in, built by scripts/stack/install.sh into STACK_CACHE_DIR. */
  static async mongo(): Promise<ServerProcess> {
    const cache = process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'shop-backend');
    const classpath = `${join(cache, 'mongo', 'classes')}:${join(cache, 'mongo', 'lib', '*')}`;
    return ServerProcess.started('mongo stand-in', (port) => ['java', ['-Xmx256m', '-cp', classpath, 'Launcher', String(port), 'memory']]);
  }

  /**
   * A MinIO of its own (the binary scripts/stack/install.sh builds into STACK_CACHE_DIR) on a
   * free port, storing in `dataDir`: a restart on the same folder keeps the objects.
   */
  static async minio(dataDir: string): Promise<ServerProcess> {
    const cache = process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'shop-backend');
    const consolePort = await freePort();
    const server = await ServerProcess.started('minio', (port) => [
      join(cache, 'bin', 'minio'),
      ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    ]);
    return server;
  }

  /** MinIO accepts connections a moment before it serves requests. */
  async waitUntilReady(): Promise<void> {
    if (this.name !== 'minio') return;
    const ready = async () => (await fetch(`http://127.0.0.1:${this.port}/minio/health/ready`).catch(() => null))?.status === 200;
    await waitFor(ready, `minio on port ${this.port} to be ready`, 30_000);
  }

  /** dist/src/main.js (scripts/test.sh builds it first) with exactly the given environment. */
  static async api(env: Record<string, string>): Promise<ServerProcess> {
    const main = join(__dirname, '..', '..', 'dist', 'src', 'main.js');
    return ServerProcess.started('the API', (port) => [
      process.execPath,
      [main],
      { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    ]);
  }

  private static async started(
    name: string,
    command: (port: number) => [string, string[], Record<string, string>?],
  ): Promise<ServerProcess> {
    const server = new ServerProcess(name, await freePort(), command);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const [binary, args, env] = this.command(this.port);
    this.child = spawn(binary, args, { stdio: 'ignore', env: env ?? process.env });
    for (const port of [this.port, ...this.otherPorts]) {
      await waitFor(() => canConnect(port), `${this.name} on port ${port} to accept connections`, 60_000);
    }
    await this.waitUntilReady();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await waitFor(async () => !(await canConnect(this.port)), `port ${this.port} to close`);
  }
}
