import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: { port: 8480, strictPort: true, host: '127.0.0.1' },
  preview: { port: 8480, strictPort: true, host: '127.0.0.1' },
  build: { target: 'es2022', sourcemap: true },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'server/**/*.test.ts'],
    environment: 'node',
    // Server suites spawn real homeservers; on two busy cores a start can take well over 30 s (see
    // server/testing/spawn.ts, which gives up after 120 s): hooks that start servers get more than that.
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
