import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The `version` of the project's package.json, found by walking up from this file (the depth
 * differs between src/ under ts-jest and dist/src/ when built).
 */
export function appVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.version) return (cached = pkg.version);
    } catch {
      // not here: look one folder up
    }
    if (dirname(dir) === dir) return (cached = 'unknown');
  }
}
