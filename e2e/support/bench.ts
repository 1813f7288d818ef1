// The timeline bench page lives only in the bench build (`vite build --mode bench` → dist-bench/, which `npm test`
// builds after the production one): specs that read it serve that build themselves.
import { test } from '@playwright/test';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { preview, type PreviewServer } from 'vite';

const benchDist = path.resolve(process.env.WAYFARER_E2E_BENCH_DIST ?? 'dist-bench');
// Away from the client's port and from `npm start`'s homeservers (8481–8483): the client's port + 1000.
const benchPort = Number(process.env.WAYFARER_E2E_BENCH_PORT ?? Number(process.env.WAYFARER_E2E_CLIENT_PORT ?? 8480) + 1000);

/** Serves the bench build for the spec's tests; `benchPage(query)` is the timeline bench's URL. */
export function serveBenchBuild(): { benchPage: (query: string) => string } {
  let server: PreviewServer | undefined;
  test.beforeAll(async () => {
    if (!existsSync(path.join(benchDist, 'bench', 'timeline.html'))) {
      throw new Error(`no bench build in ${benchDist}: run \`npx vite build --mode bench\` first (npm test does)`);
    }
    server = await preview({
      configFile: false,
      logLevel: 'error',
      build: { outDir: benchDist },
      preview: { port: benchPort, strictPort: true, host: '127.0.0.1' },
    });
  });
  test.afterAll(async () => {
    await server?.close();
  });
  return { benchPage: (query) => `http://127.0.0.1:${benchPort}/bench/timeline.html?${query}` };
}
