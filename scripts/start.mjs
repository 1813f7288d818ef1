// `npm start`: installs what is missing, builds the client and serves it with the demo homeservers.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ensureNodeModules, mustRun, root } from './ensure.mjs';
import { createSupervisor } from './supervisor.mjs';

// Three federating demo homeservers. The dev admin API (loopback only) lets the seed forge one link, and lets a
// demo rotate keys or take a server offline; its token is new on every start.
const DEMO_SERVERS = [
  { name: 'alpha', serverName: 'alpha.localhost:8481', port: 8481 },
  { name: 'beta', serverName: 'beta.localhost:8482', port: 8482 },
  { name: 'gamma', serverName: 'gamma.localhost:8483', port: 8483 },
];
const DEV_ADMIN_TOKEN = randomBytes(16).toString('hex');

ensureNodeModules();
console.log('• building the client…');
mustRun('npx', ['vite', 'build', '--logLevel', 'warn']);

const supervisor = createSupervisor();
supervisor.stopOnSignals();
/** Something went wrong while starting: stop what runs, say so, exit. */
async function fail(message) {
  console.error(message);
  await supervisor.stopAll();
  process.exit(1);
}

/** Starts one homeserver (tsx as a loader, one process) and resolves when it prints its ready line. */
async function startHomeserver({ name, serverName, port }) {
  const dataDir = path.join(root, '.data', name);
  mkdirSync(dataDir, { recursive: true });
  await supervisor.start(
    `homeserver ${serverName}`,
    process.execPath,
    [
      '--import',
      'tsx',
      'server/main.ts',
      '--server-name',
      serverName,
      '--port',
      String(port),
      '--data',
      dataDir,
      '--open-registration',
      '--insecure-http',
      '--dev-admin',
      DEV_ADMIN_TOKEN,
    ],
    { cwd: root, readyText: `listening on http://127.0.0.1:${port}` },
  );
  return { name, serverName, port, dataDir };
}

console.log('• starting the demo homeservers…');
const servers = await Promise.all(DEMO_SERVERS.map(startHomeserver)).catch((error) => fail(`✖ ${error.message}`));
const seeded = [];
for (const server of servers) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'server/demo/seed.ts', '--base-url', `http://127.0.0.1:${server.port}`, '--server-name', server.serverName],
    { cwd: root, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    await fail(`✖ seeding ${server.serverName} failed:\n${result.stderr}${result.stdout}`);
  }
  seeded.push({ server, ...JSON.parse(result.stdout.trim().split('\n').at(-1)) });
}
const federationSeed = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    'server/demo/federation-seed.ts',
    ...servers.flatMap((s) => ['--server', `${s.serverName}=http://127.0.0.1:${s.port}`]),
    '--dev-token',
    DEV_ADMIN_TOKEN,
  ],
  { cwd: root, encoding: 'utf8' },
);
if (federationSeed.status !== 0) {
  await fail(`✖ seeding the federated rooms failed:\n${federationSeed.stderr}${federationSeed.stdout}`);
}
const federated = JSON.parse(federationSeed.stdout.trim().split('\n').at(-1));

// Vite itself, not through npx: a SIGTERM from the supervisor must reach the process that holds the port. Without
// the client there is nothing to open, so its stopping ends the demo (critical).
let announced = false;
function announce(chunk) {
  if (announced || !String(chunk).includes('8480')) return;
  announced = true;
  console.log('\nWayfarer is running:');
  console.log('  client       http://127.0.0.1:8480');
  for (const { server, users, rooms } of seeded) {
    console.log(
      `  homeserver   http://${server.serverName}  (also http://127.0.0.1:${server.port}; data in ${path.relative(root, server.dataDir)})`,
    );
    console.log('  demo users   (sign in with the homeserver URL above)');
    for (const user of users) console.log(`    ${user.userId.padEnd(32)} password ${user.password}`);
    console.log(`  demo rooms   #lobby:${server.serverName} (member keys), #classic:${server.serverName} (v11), a DM alice↔bob`);
    void rooms;
  }
  console.log('  across servers');
  console.log(`    #commons:${servers[0].serverName}  member-key room on alpha, beta and gamma, with history`);
  console.log(`    #harbour:${servers[1].serverName}   classic (v11) room on beta that alpha and gamma joined`);
  console.log(`    a DM between @alice:${servers[0].serverName} and @bob:${servers[1].serverName}`);
  for (const user of federated.users.filter((u) => u.note))
    console.log(`    ${user.userId} (password ${user.password}): ${user.note} → shows as unverified`);
  console.log(`  dev admin token (loopback only): ${DEV_ADMIN_TOKEN}`);
  console.log('\nA homeserver that stops is named here; the others and the client keep running. Press Ctrl-C to stop.');
}
await supervisor
  .start(
    'client (vite preview)',
    process.execPath,
    [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'preview', '--port', '8480', '--strictPort', '--host', '127.0.0.1'],
    { cwd: root, critical: true, onOutput: announce },
  )
  .catch((error) => fail(`✖ ${error.message}`));
