import { defineConfig } from '@playwright/test';

// Debian's Chromium: Playwright's own browser download cannot run on this machine.
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Overridable so several people can run e2e at once on one machine without sharing a port, a build or results.
const clientPort = Number(process.env.WAYFARER_E2E_CLIENT_PORT ?? 8480);
const distDir = process.env.WAYFARER_E2E_DIST ?? 'dist';
// Spec files that need the full browser rather than the headless shell (see projects).
const fullBrowserSpecs = ['**/notifications.spec.ts'];

export default defineConfig({
  outputDir: process.env.WAYFARER_E2E_OUTPUT ?? 'test-results',
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Spec files use their own server ports, so files may run side by side; one at a time unless asked.
  workers: Number(process.env.WAYFARER_E2E_WORKERS ?? 1),
  // One retry on CI: real Chromium against real server processes on a loaded 2-core machine; a retried pass is
  // reported as flaky (see the list reporter), not hidden.
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${clientPort}`,
    browserName: 'chromium',
    // A trace costs every test time (snapshots of each step); recorded on the retry, it is there when a failure
    // repeats, and the first failure still leaves its screenshot and error context.
    trace: 'on-first-retry',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      // Debian's old headless shell: the same engine without the desktop browser's start-up and compositor.
      name: 'chromium',
      testIgnore: fullBrowserSpecs,
      use: { launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell', args: chromiumArgs } },
    },
    {
      // What the shell can't do: it denies the notifications permission whatever the context grants.
      name: 'chromium-full',
      testMatch: fullBrowserSpecs,
      use: { launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs } },
    },
  ],
  webServer: {
    // The production build, as users get it; `npm test` builds it first.
    command: `npx vite preview --port ${clientPort} --strictPort --host 127.0.0.1 --outDir ${distDir}`,
    url: `http://127.0.0.1:${clientPort}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
