// `npm run bench`: runs every bench/*.bench.ts in its own process (name order) and lets each print its figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n━━ ${file} ━━`);
  const result = spawnSync(process.execPath, [path.join(here, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(here, file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed += 1;
    console.error(`✖ ${file} failed (exit ${result.status})`);
  }
}
process.exit(failed ? 1 : 0);
