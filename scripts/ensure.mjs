// Set-up that `npm start` and `npm test` do on a fresh clone: nothing here may depend on a step done by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

export function mustRun(command, args, options = {}) {
  const status = run(command, args, options);
  if (status !== 0) {
    console.error(`\n✖ ${command} ${args.join(' ')} failed (exit ${status})`);
    process.exit(status);
  }
}

/**
 * Whether node_modules holds what package-lock.json names: npm's own record of the installed tree
 * (node_modules/.package-lock.json) lists every package at the lockfile's version. By content, not by file times:
 * a checkout or rebase touches package-lock.json without changing a package.
 */
export function nodeModulesMatchLockfile(lock, installed) {
  if (!existsSync(installed)) return false;
  try {
    const wanted = JSON.parse(readFileSync(lock, 'utf8')).packages ?? {};
    const have = JSON.parse(readFileSync(installed, 'utf8')).packages ?? {};
    // Optional packages for other platforms are never installed; everything else must be there at its version.
    return Object.entries(wanted).every(([name, entry]) =>
      name === '' ? true : have[name] ? have[name].version === entry.version : entry.optional === true,
    );
  } catch {
    return false;
  }
}

/** Installs npm dependencies when node_modules is missing or does not match the lockfile. */
export function ensureNodeModules() {
  const lock = path.join(root, 'package-lock.json');
  const modules = path.join(root, 'node_modules');
  if (nodeModulesMatchLockfile(lock, path.join(modules, '.package-lock.json'))) return;
  // A node_modules that is a link to another checkout's (a second worktree) is that checkout's to install: `npm ci`
  // would empty the directory it points to.
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    console.warn(`• node_modules links to ${realpathSync(modules)} and does not match package-lock.json; run npm ci there`);
    return;
  }
  // `npm ci`: exactly the committed lockfile, which lists every platform's optional packages (tailwind's oxide
  // builds among them), so a fresh clone installs the same tree and leaves package-lock.json untouched.
  console.log('• installing npm dependencies (npm ci)…');
  mustRun('npm', ['ci', '--no-audit', '--no-fund']);
}

let aptUpdated = false;
/** Installs a Debian package when `probe` (a file path) is missing; needs root, as on CI. */
export function ensureDebianPackage(pkg, probe) {
  if (existsSync(probe)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : ['sudo'];
  console.log(`• installing Debian package ${pkg} (${probe} is missing)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    mustRun(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(isRoot ? [] : ['apt-get']), 'update', '-q'], { env });
    aptUpdated = true;
  }
  mustRun(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(isRoot ? [] : ['apt-get']), 'install', '-y', '-q', pkg], { env });
  if (!existsSync(probe)) {
    console.error(`✖ ${pkg} installed but ${probe} is still missing`);
    process.exit(1);
  }
}

export function ensureChromium() {
  ensureDebianPackage('chromium', '/usr/bin/chromium');
  // The old headless shell, the same Chromium without the desktop browser's start-up: e2e runs in it (a third
  // less time per test here). Notifications need the full browser (the shell denies their permission).
  ensureDebianPackage('chromium-headless-shell', '/usr/bin/chromium-headless-shell');
}
