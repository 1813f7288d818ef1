// Client figures, measured in Debian's Chromium through Playwright:
// - time from sync data ready to the first painted timeline for a room with 10,000 events;
// - one incoming event in that room: raw event JSON → SDK room → room view model → React → its row painted (median);
// - scrolling the whole 10,000-event timeline: frame times;
//   (both on the bench build's page, bench/timeline.html: `vite build --mode bench`, minified like production)
// - the production bundle's JavaScript size, raw and gzip (initial screen vs. everything).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { preview } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Their own build directories: never disturb a dist/ that e2e runs are serving.
const dist = path.join(os.tmpdir(), 'wayfarer-bench-dist');
const benchDist = path.join(os.tmpdir(), 'wayfarer-bench-pages');
const port = 18699; // inside the client's port range, away from the e2e homeservers
const runs = Number(process.env.BENCH_RUNS ?? 5);
const eventCount = 10_000;
const incomingPerRun = Number(process.env.BENCH_INCOMING ?? 40);
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface BenchWindow {
  __timelineBench?: { sdkMs: number; renderMs: number; totalMs: number; renderedRows: number };
  __timelineBenchScroll?: () => Promise<{ frames: number; p50: number; p95: number; max: number }>;
  __timelineBenchIncoming?: (count: number) => Promise<number[]>;
  __timelineBenchIncomingParts?: { sdk: number; dom: number; painted: number; framesLate: number }[];
  __timelineBenchFloor?: (count: number) => Promise<{ unchanged: number; oneLine: number }>;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function build(outDir: string, mode = 'production') {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--mode', mode, '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`vite build --mode ${mode} failed`);
}

/** Entry script plus the chunks it imports statically (modulepreload): what the first screen downloads. */
function bundleSizes() {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const initialFiles = new Set<string>();
  for (const m of html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)) initialFiles.add(m[1]!);
  const all = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  const size = (files: Iterable<string>) => {
    let raw = 0;
    let gz = 0;
    for (const f of files) {
      const data = readFileSync(path.join(dist, f));
      raw += data.length;
      gz += gzipSync(data, { level: 9 }).length;
    }
    return { raw, gz };
  };
  const wasm = readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.wasm'));
  return {
    initial: size(initialFiles),
    initialFiles: [...initialFiles],
    total: size(all.map((f) => `assets/${f}`)),
    chunks: all.length,
    wasmRaw: wasm.reduce((s, f) => s + statSync(path.join(dist, 'assets', f)).size, 0),
  };
}

async function main() {
  build(dist);
  build(benchDist, 'bench');
  const sizes = bundleSizes();
  const server = await preview({
    root,
    configFile: false,
    logLevel: 'error',
    build: { outDir: benchDist },
    preview: { port, strictPort: true, host: '127.0.0.1' },
  });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs });
  try {
    const results: { sdkMs: number; renderMs: number; totalMs: number; renderedRows: number }[] = [];
    let scroll: { frames: number; p50: number; p95: number; max: number } | undefined;
    const incoming: number[] = [];
    const parts: { sdk: number; dom: number; painted: number; framesLate: number }[] = [];
    const floors: { unchanged: number; oneLine: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`http://127.0.0.1:${port}/bench/timeline.html?events=${eventCount}`);
      await page.waitForFunction(() => (window as unknown as BenchWindow).__timelineBench !== undefined, undefined, { timeout: 60_000 });
      results.push((await page.evaluate(() => (window as unknown as BenchWindow).__timelineBench))!);
      incoming.push(...(await page.evaluate((n) => (window as unknown as BenchWindow).__timelineBenchIncoming!(n), incomingPerRun)));
      parts.push(...(await page.evaluate(() => (window as unknown as BenchWindow).__timelineBenchIncomingParts!)));
      floors.push(await page.evaluate((n) => (window as unknown as BenchWindow).__timelineBenchFloor!(n), incomingPerRun));
      if (i === runs - 1) scroll = await page.evaluate(() => (window as unknown as BenchWindow).__timelineBenchScroll!());
      await page.close();
    }
    console.log(`timeline, ${eventCount} events, Chromium (median of ${runs} runs):`);
    console.log(
      `  sync data ready (room in matrix-js-sdk) → first painted timeline: ${median(results.map((r) => r.renderMs)).toFixed(1)} ms`,
    );
    console.log(
      `  one incoming event, /sync JSON → its row painted:                 ${median(incoming).toFixed(1)} ms median, p90 ${[...incoming].sort((a, b) => a - b)[Math.floor(incoming.length * 0.9)]!.toFixed(1)} ms (${incoming.length} events; target < 4 ms)`,
    );
    // Where an incoming event's time goes (medians of each part, so they need not add up to the median above).
    console.log(
      `    of which: addLiveEvents, with the view model and React render it triggers ${median(parts.map((p) => p.sdk)).toFixed(1)} ms · then until the row is in the DOM ${median(parts.map((p) => p.dom - p.sdk)).toFixed(1)} ms · style, layout, observers, paint ${median(parts.map((p) => p.painted - p.dom)).toFixed(1)} ms · ${parts.filter((p) => p.framesLate > 0).length} of ${parts.length} rows missed their frame`,
    );
    console.log(
      `    this machine's floor, timed the same way: a frame that adds one line of text to the page ${median(floors.map((f) => f.oneLine)).toFixed(1)} ms (a frame that changes nothing ${median(floors.map((f) => f.unchanged)).toFixed(1)} ms)`,
    );
    console.log(`  raw event JSON → matrix-js-sdk room (SDK's own work):            ${median(results.map((r) => r.sdkMs)).toFixed(1)} ms`);
    console.log(
      `  raw event JSON → first painted timeline (both):                  ${median(results.map((r) => r.totalMs)).toFixed(1)} ms`,
    );
    console.log(`  rows in the DOM (virtualised):            ${results[0]!.renderedRows}`);
    if (scroll) {
      console.log(
        `  scrolling bottom to top, ${scroll.frames} frames of 1500 px: p50 ${scroll.p50.toFixed(1)} ms, p95 ${scroll.p95.toFixed(1)} ms, max ${scroll.max.toFixed(1)} ms per frame`,
      );
    }
    console.log('production bundle JavaScript:');
    console.log(`  first screen (${sizes.initialFiles.length} files): ${kb(sizes.initial.raw)} raw, ${kb(sizes.initial.gz)} gzip`);
    console.log(`  all chunks (${sizes.chunks} files, loaded on demand): ${kb(sizes.total.raw)} raw, ${kb(sizes.total.gz)} gzip`);
    console.log(
      `  (plus ${kb(sizes.wasmRaw)} of matrix-sdk-crypto WebAssembly, fetched when a session starts its crypto, never by the first screen)`,
    );
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
