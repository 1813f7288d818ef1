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

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: 'http://127.0.0.1:8480',
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    // The production build, as users get it; `npm test` builds it first.
    command: 'npx vite preview --port 8480 --strictPort --host 127.0.0.1',
    url: 'http://127.0.0.1:8480',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
