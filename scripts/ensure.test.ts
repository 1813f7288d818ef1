// `npm start` and `npm test` install dependencies only when node_modules does not hold what package-lock.json
// names, judged by content (a checkout or rebase touches the lockfile's time, not its packages), and never through
// a node_modules that links to another checkout's (npm ci would empty the directory it points to).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { nodeModulesMatchLockfile } from './ensure.mjs';

function files(lock: object, installed?: object) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wayfarer-ensure-'));
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock));
  if (installed) writeFileSync(path.join(dir, 'installed.json'), JSON.stringify(installed));
  return [path.join(dir, 'package-lock.json'), path.join(dir, 'installed.json')] as const;
}

const lock = {
  packages: {
    '': { name: 'wayfarer', version: '0.1.0' },
    'node_modules/react': { version: '19.3.1' },
    'node_modules/vitest': { version: '4.1.12', dev: true },
    'node_modules/@esbuild/darwin-arm64': { version: '0.25.0', optional: true },
  },
};

describe('nodeModulesMatchLockfile', () => {
  it('matches the installed tree by package versions; other platforms’ optional packages may be missing', () => {
    const installed = { packages: { 'node_modules/react': { version: '19.3.1' }, 'node_modules/vitest': { version: '4.1.12' } } };
    expect(nodeModulesMatchLockfile(...files(lock, installed))).toBe(true);
  });
  it('does not match a changed version, a missing package, or no record at all', () => {
    const older = { packages: { 'node_modules/react': { version: '19.2.0' }, 'node_modules/vitest': { version: '4.1.12' } } };
    expect(nodeModulesMatchLockfile(...files(lock, older))).toBe(false);
    expect(nodeModulesMatchLockfile(...files(lock, { packages: { 'node_modules/react': { version: '19.3.1' } } }))).toBe(false);
    expect(nodeModulesMatchLockfile(...files(lock))).toBe(false);
  });
});
