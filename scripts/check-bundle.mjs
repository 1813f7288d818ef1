// The production build must not carry the timeline benchmark (bench/timeline.html, `vite build --mode bench`), and
// what loads only on demand (the emoji picker and its data, the password strength check) must stay off the first screen, in its own chunk:
// `node scripts/check-bundle.mjs [dist]` fails when any built file names the bench's window hooks or page, or when
// the files index.html loads (and what they import statically) carry lazy code.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What only the bench entry has: its window hooks (kept by the minifier: they are property names). */
export const BENCH_MARKERS = ['__timelineBench'];

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (/\.(js|mjs|css|html|map|json)$/.test(entry.name)) yield full;
  }
}

/** The files of `dist` that contain bench code, with the marker found. */
export function benchCodeIn(dist) {
  const found = [];
  for (const file of files(dist)) {
    const text = readFileSync(file, 'utf8');
    const marker = BENCH_MARKERS.find((m) => text.includes(m));
    if (marker) found.push({ file: path.relative(dist, file), marker });
  }
  if (readdirSync(dist).includes('bench')) found.push({ file: 'bench/', marker: 'the bench pages' });
  return found;
}

/** Loaded on demand only: a string only its code has (kept by the minifier: it is text the picker shows). */
export const LAZY_MARKERS = [
  { what: 'the emoji picker (emoji-picker-element)', marker: 'Choose a skin tone' },
  { what: 'the emoji data (emoji-picker-element-data)', marker: /assets\/data-[\w-]+\.json/ },
  { what: 'the password strength check (zxcvbn-ts)', marker: 'This is a heavily used password.' },
];

/** The files the first screen loads: index.html's scripts, styles and preloads, and their static imports. */
export function firstScreenFiles(dist) {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const queue = [...html.matchAll(/(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const seen = new Set();
  while (queue.length > 0) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.js')) continue;
    const code = readFileSync(path.join(dist, file), 'utf8');
    // Static imports only (`import{a}from"./x.js"`, `import"./x.js"`); import("./x.js") is what loads on demand.
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*"(\.\/[^"]+\.js)"/g)) queue.push(path.posix.join(path.posix.dirname(file), m[1]));
  }
  return [...seen];
}

/** Lazy code found in the first screen's files, with what it is. */
export function lazyCodeOnFirstScreen(dist) {
  const found = [];
  for (const file of firstScreenFiles(dist)) {
    const text = readFileSync(path.join(dist, file), 'utf8');
    for (const { what, marker } of LAZY_MARKERS)
      if (typeof marker === 'string' ? text.includes(marker) : marker.test(text)) found.push({ file, marker: what });
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(process.argv[2] ?? 'dist');
  const lazy = lazyCodeOnFirstScreen(dist);
  for (const { file, marker } of lazy)
    console.error(`✖ ${path.relative(process.cwd(), dist)}/${file} loads with the first screen but carries ${marker}`);
  if (lazy.length > 0) process.exit(1);
  console.log(`✓ ${path.relative(process.cwd(), dist) || dist}: the first screen loads no lazy code`);
  const found = benchCodeIn(dist);
  if (found.length > 0) {
    for (const { file, marker } of found) console.error(`✖ ${path.relative(process.cwd(), dist)}/${file} contains bench code (${marker})`);
    process.exit(1);
  }
  console.log(`✓ ${path.relative(process.cwd(), dist) || dist} carries no bench code`);
}
