// `npm test`: type-check, lint, unit tests, production build (checked free of bench code) and bench build, e2e — installing what is missing first.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureChromium, ensureDebianPackage, ensureNodeModules, mustRun, root, run } from './ensure.mjs';

const started = Date.now();
const step = (name) => console.log(`\n━━ ${name} ━━ (${((Date.now() - started) / 1000).toFixed(0)} s)`);

ensureNodeModules();
ensureChromium();
// The homeserver's tests drive matrix-nio with Debian's /usr/bin/python3 (the pyenv python3 on PATH can't see it).
ensureDebianPackage('python3-matrix-nio', '/usr/lib/python3/dist-packages/nio/__init__.py');

// Reports live apart from test-results/, which Playwright empties when it starts: the unit tests' report must still
// be there when the closing total is counted.
const results = path.join(root, 'test-reports');
mkdirSync(results, { recursive: true });
const vitestJson = path.join(results, 'vitest.json');
const playwrightJson = path.join(results, 'playwright.json');
rmSync(vitestJson, { force: true });
rmSync(playwrightJson, { force: true });

step('type-check (client, protocol, server, tests)');
mustRun('npx', ['tsc', '-p', 'tsconfig.json']);
mustRun('npx', ['tsc', '-p', 'src/protocol/tsconfig.json']);
mustRun('npx', ['tsc', '-p', 'tsconfig.node.json']);

step("lint and format (npm run lint: biome's recommended rules, React hooks, the client's layers, the formatter)");
mustRun('npm', ['run', '--silent', 'lint']);

step('unit tests (vitest)');
const unitStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);

step('build (vite): production, then the bench page e2e/timeline-scroll.spec.ts reads');
mustRun('npx', ['vite', 'build', '--logLevel', 'warn']);
mustRun('node', ['scripts/check-bundle.mjs', 'dist']);
mustRun('npx', ['vite', 'build', '--mode', 'bench', '--logLevel', 'warn']);

// Two spec files at a time (each has its own server ports and data: scripts/test-ports.test.ts checks the ports):
// most of a spec's time is spent waiting on servers and the browser, so two workers on two cores roughly halve it.
// WAYFARER_E2E_WORKERS=1 npm test runs them one by one again.
step('end-to-end tests (playwright, Debian chromium)');
const e2eStatus = run('npx', ['playwright', 'test', '--reporter=list,json'], {
  env: { ...process.env, WAYFARER_E2E_WORKERS: process.env.WAYFARER_E2E_WORKERS ?? '2', PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson },
});

// One plain closing line over both runners, so CI reads a count and not just an exit code.
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests ?? 0;
  failed += (v.numFailedTests ?? 0) + (v.numFailedTestSuites && !v.numFailedTests ? v.numFailedTestSuites : 0);
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
} else if (unitStatus !== 0) failed += 1;
if (existsSync(playwrightJson)) {
  const p = JSON.parse(readFileSync(playwrightJson, 'utf8'));
  passed += (p.stats?.expected ?? 0) + (p.stats?.flaky ?? 0);
  if (p.stats?.flaky) console.log(`\n⚠ ${p.stats.flaky} e2e test(s) passed only on retry (flaky): see the list above`);
  failed += p.stats?.unexpected ?? 0;
  skipped += p.stats?.skipped ?? 0;
} else if (e2eStatus !== 0) failed += 1;

console.log(`\nnpm test finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(unitStatus !== 0 || e2eStatus !== 0 || failed > 0 ? 1 : 0);
