import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The built entry points (scripts/test.sh runs `nest build` first). */
const DIST = join(__dirname, '..', '..', 'dist', 'src');

export interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const started: ChildProcess[] = [];

/** Runs dist/src/<script> as its own process with exactly this environment (plus PATH). */
export function runEntryPoint(script: string, env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, [join(DIST, script), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  started.push(child);
  return { child, output: () => output, exit };
}

/** Kills whatever a (failed) test left running; call it in afterEach. */
export function killLeftoverProcesses(): void {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
