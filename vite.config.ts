import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { compileMessage } from '@lingui/message-utils/compileMessage';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { isFirstScreenKey } from './src/i18n/firstScreen';

/** Where `vite build --mode bench` writes the benchmark pages (never the production dist/). */
export const BENCH_OUT_DIR = 'dist-bench';

/**
 * The message catalogues (src/i18n/*.json, ICU MessageFormat) compiled at build time into Lingui's message form,
 * so the bundle carries only Lingui's small runtime and not the MessageFormat parser. The output stays JSON.
 * `en.json?first-screen` and `en.json?rest` are its two parts (src/i18n/firstScreen.ts): the sign-in screen's
 * sentences, and the rest, which loads with the signed-in app.
 */
export function compiledCatalogues(): Plugin {
  return {
    name: 'wayfarer:compiled-catalogues',
    enforce: 'pre',
    transform(code, id) {
      const [file, query = ''] = id.split('?');
      if (!/[\\/]src[\\/]i18n[\\/][a-z-]+\.json$/.test(file ?? '')) return;
      const part = new URLSearchParams(query);
      const wanted = (key: string) => (part.has('first-screen') ? isFirstScreenKey(key) : part.has('rest') ? !isFirstScreenKey(key) : true);
      const source = JSON.parse(code) as Record<string, string>;
      const compiled = Object.fromEntries(
        Object.entries(source)
          .filter(([key]) => wanted(key))
          .map(([key, message]) => [key, compileMessage(message)]),
      );
      // A part is a module of its own (a JSON file with a query is not read as JSON): its messages, as the default export.
      if (query) return { code: `export default ${JSON.stringify(compiled)};`, map: null, moduleType: 'js' };
      return { code: JSON.stringify(compiled), map: null };
    },
  };
}

export default defineConfig(({ mode }) => ({
  plugins: [compiledCatalogues(), react(), tailwindcss()],
  server: { port: 8480, strictPort: true, host: '127.0.0.1' },
  preview: { port: 8480, strictPort: true, host: '127.0.0.1' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // The bench build has only the benchmark page (bench/timeline.html) and its own output directory; the
    // production build has only index.html, so no bench code ships (scripts/check-bundle.mjs asserts it).
    ...(mode === 'bench'
      ? { outDir: BENCH_OUT_DIR, rolldownOptions: { input: fileURLToPath(new URL('bench/timeline.html', import.meta.url)) } }
      : {}),
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'server/**/*.test.ts', 'scripts/**/*.test.ts'],
    setupFiles: ['src/i18n/test-setup.ts'],
    environment: 'node',
    // Server suites spawn real homeservers; on two busy cores a start can take well over 30 s (see
    // server/testing/spawn.ts, which gives up after 120 s): hooks that start servers get more than that.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Vitest runs one file at a time on a 2-core machine by default; most suites wait on server processes,
    // sockets and disk, not CPU, so two files side by side halve the wall time. WAYFARER_VITEST_WORKERS=1 for one.
    maxWorkers: Number(process.env.WAYFARER_VITEST_WORKERS ?? 2),
  },
}));
