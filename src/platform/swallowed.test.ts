// Issue 13 item 4: no failure is swallowed without a word. A `.catch` that drops the error goes through the logger
// instead (`log.ignored('why')`, debug level, switchable at run time), so a bug is one setting away from being seen.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** `.catch(() => undefined)`, `.catch(() => {})`, `.catch(() => null)` and the like: an error dropped in silence. */
const silentCatch = /\.catch\(\s*(?:async\s*)?\(\s*[a-z_]*\s*\)\s*=>\s*(?:undefined|null|\{\s*\}|void 0)\s*\)/;

describe('errors', () => {
  it('are never dropped in silence in src/: a .catch that ignores one says why through the logger', () => {
    const offenders = sourceFiles(srcDir).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (silentCatch.test(line) ? [`${path.relative(srcDir, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
