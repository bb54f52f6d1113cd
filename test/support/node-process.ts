import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { freePort, waitFor } from './wait';

/**
 * The built entry points as real processes (scripts/test.sh runs `nest build` first), each
 * with the environment a deployment would give it.
 */
const DIST = join(__dirname, '..', '..', 'dist', 'src');

export interface NodeRun {
  child: ChildProcess;
  /** stdout and stderr together, as received so far. */
  output: () => string;
  stdout: () => string;
  exit: Promise<number | null>;
}

/** Every process started; killProcessesLeftRunning() ends what a failed test left behind. */
const started: ChildProcess[] = [];

export function runBuilt(script: string, env: Record<string, string>, args: string[] = []): NodeRun {
  const child = spawn(process.execPath, [join(DIST, script), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  started.push(child);
  return { child, output: () => output, stdout: () => stdout, exit };
}

export function killProcessesLeftRunning(): void {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** API processes started from the built app on free ports, all answering /health. */
export interface ApiProcesses {
  urls: string[];
  /** SIGTERM to each, resolved once all have exited. */
  stop(): Promise<void>;
}

/**
 * `count` API processes on the same stack, the way the shop scales out: for proofs that a rule
 * holds across processes (stock, promotion uses, idempotency). A process that does not come up
 * fails the caller with its output.
 */
export async function startApis(count: number, env: Record<string, string>): Promise<ApiProcesses> {
  const runs: NodeRun[] = [];
  const urls: string[] = [];
  const stop = async () => {
    for (const { child } of runs) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(runs.map(({ exit }) => exit));
  };
  for (let index = 0; index < count; index += 1) {
    const port = await freePort();
    runs.push(runBuilt('main.js', { ...env, PORT: String(port) }));
    urls.push(`http://127.0.0.1:${port}`);
  }
  try {
    for (const [index, url] of urls.entries()) {
      await waitFor(async () => (await fetch(`${url}/health`).catch(() => null))?.status === 200, `the API at ${url}`, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${runs[index].output()}`);
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls, stop };
}

/**
 * `count` API processes for the whole suite (jest hooks): started before its tests, stopped after
 * them, and the suite's database dropped. `urls` is filled once they answer.
 */
export function apiProcessesForSuite(env: Record<string, string>, count = 2): { urls: string[] } {
  const urls: string[] = [];
  let apis: ApiProcesses | undefined;
  beforeAll(async () => {
    apis = await startApis(count, env);
    urls.push(...apis.urls);
  }, 90_000);
  afterAll(async () => {
    await apis?.stop();
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    await connection.dropDatabase();
    await connection.close();
  });
  return { urls };
}
