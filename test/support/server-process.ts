import { ChildProcess, spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, waitFor } from './wait';

/**
 * A private server process for tests that stop and restart it (outage tests) without
 * disturbing the shared local stack: Redis, the MongoDB stand-in from the stack's cache, or the
 * built API itself.
 */
export class ServerProcess {
  private child?: ChildProcess;

  private constructor(
    private readonly name: string,
    readonly port: number,
    private readonly command: (port: number) => [string, string[], Record<string, string>?],
  ) {}

  static async redis(): Promise<ServerProcess> {
    const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
    return ServerProcess.started('redis-server', (port) => [
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ]);
  }

  /** The memory-backed stand-in, built by scripts/stack/install.sh into STACK_CACHE_DIR. */
  static async mongo(): Promise<ServerProcess> {
    const cache = process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'shop-backend');
    const classpath = `${join(cache, 'mongo', 'classes')}:${join(cache, 'mongo', 'lib', '*')}`;
    return ServerProcess.started('mongo stand-in', (port) => ['java', ['-Xmx256m', '-cp', classpath, 'Launcher', String(port), 'memory']]);
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
    await waitFor(() => canConnect(this.port), `${this.name} on port ${this.port} to accept connections`, 60_000);
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
