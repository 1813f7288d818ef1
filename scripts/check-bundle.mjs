// The production build must not carry the timeline benchmark (bench/timeline.html, `vite build --mode bench`):
// `node scripts/check-bundle.mjs [dist]` fails when any built file names the bench's window hooks or page.
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = path.resolve(process.argv[2] ?? 'dist');
  const found = benchCodeIn(dist);
  if (found.length > 0) {
    for (const { file, marker } of found) console.error(`✖ ${path.relative(process.cwd(), dist)}/${file} contains bench code (${marker})`);
    process.exit(1);
  }
  console.log(`✓ ${path.relative(process.cwd(), dist) || dist} carries no bench code`);
}
