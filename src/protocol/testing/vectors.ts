// Test-only (excluded from the isomorphic tsconfig): reads test vectors, failing loudly when they are missing.
import { existsSync, readFileSync } from 'node:fs';

/** `../shared/spec/vectors/<name>` beside the repo (CI clones shared/ there). */
export function readSharedVectors<T>(name: string): T {
  return readJson<T>(new URL(`../../../../shared/spec/vectors/${name}`, import.meta.url), 'clone the shared/ folder beside the repo');
}

/** Vectors committed in src/protocol/vectors/. */
export function readLocalVectors<T>(name: string): T {
  return readJson<T>(new URL(`../vectors/${name}`, import.meta.url), 'run python3 src/protocol/vectors/generate.py');
}

function readJson<T>(url: URL, hint: string): T {
  if (!existsSync(url)) throw new Error(`test vectors missing: ${url.pathname} (${hint})`);
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}
