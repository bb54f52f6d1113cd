import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

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
