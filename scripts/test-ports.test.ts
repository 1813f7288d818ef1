// Test files that run side by side must not share a server port (EADDRINUSE, or worse: one file talking to the
// other's server). Playwright runs e2e spec files on WAYFARER_E2E_WORKERS workers (`npm test`: 2) and vitest runs its
// files in parallel, so within each group every fixed port belongs to one file. Ports are read from the source the
// way the tests spell them: server names (`alpha.localhost:21061`), `port = 22012`/`port: 22012`, `--port 20450` and
// `listen(20610`/`HostileServer.start(23613`. Pick a new file's ports from a range no other file uses (see the list this test prints on failure).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const PORT_PATTERNS = [
  /\b(?:localhost|127\.0\.0\.1):(\d{4,5})\b/g,
  /\b\w*port['"]?\s*[:=]\s*(\d{4,5})\b/gi,
  /['"]--port['"]\s*,\s*['"](\d{4,5})['"]/g,
  /\.(?:listen|start)\(\s*(\d{4,5})\b/g,
];

function portsIn(source: string): Set<number> {
  const ports = new Set<number>();
  for (const pattern of PORT_PATTERNS) for (const match of source.matchAll(pattern)) ports.add(Number(match[1]));
  return ports;
}

function filesUnder(dir: string, keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(path.join(root, rel)).isDirectory()) out.push(...filesUnder(rel, keep));
    else if (keep(rel)) out.push(rel);
  }
  return out.sort();
}

/** Ports used by more than one file: port → files. */
function shared(files: Map<string, Set<number>>): Map<number, string[]> {
  const owners = new Map<number, string[]>();
  for (const [file, ports] of files) for (const port of ports) owners.set(port, [...(owners.get(port) ?? []), file]);
  return new Map([...owners].filter(([, list]) => list.length > 1));
}

const describeShared = (clashes: Map<number, string[]>) => [...clashes].map(([port, list]) => `${port}: ${list.join(', ')}`);

describe('no two test files that run side by side share a server port', () => {
  it('finds the ports the way the files spell them', () => {
    expect([...portsIn("startServers(['alpha.localhost:21061', 'beta.localhost:21062'])")]).toEqual([21061, 21062]);
    expect([...portsIn('const BETA_PORT = 22012;')]).toEqual([22012]);
    expect([...portsIn("parseConfig(['--server-name', NAME, '--port', '20450'])")]).toEqual([20450]);
    expect([...portsIn("keyServer.listen(20610, '127.0.0.1')")]).toEqual([20610]);
    expect([...portsIn('evil = await HostileServer.start(23613);')]).toEqual([23613]);
    expect([...portsIn('{ host: "127.0.0.1", port: 8000 }')]).toEqual([8000]);
    expect([
      ...shared(
        new Map([
          ['a', new Set([1, 2])],
          ['b', new Set([2])],
          ['c', new Set([3])],
        ]),
      ),
    ]).toEqual([[2, ['a', 'b']]]);
  });

  it('e2e: each spec file has its own ports, and the support code none of its own', () => {
    const specs = filesUnder('e2e', (f) => f.endsWith('.spec.ts'));
    expect(specs.length).toBeGreaterThan(10);
    const clashes = shared(new Map(specs.map((f) => [f, portsIn(readFileSync(path.join(root, f), 'utf8'))])));
    expect(describeShared(clashes)).toEqual([]);
    // A fixed port in shared support code would be every importing file's port at once.
    const support = filesUnder('e2e/support', (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const supportPorts = support.flatMap((f) => [...portsIn(readFileSync(path.join(root, f), 'utf8'))].map((p) => `${f}: ${p}`));
    // bench.ts serves the bench build on the client's port + 1000 (8480 in its comment): one spec file at a time.
    expect(supportPorts.filter((entry) => !entry.startsWith(path.join('e2e', 'support', 'bench.ts')))).toEqual([]);
    const benchUsers = specs.filter((f) => readFileSync(path.join(root, f), 'utf8').includes('serveBenchBuild('));
    expect(benchUsers.length).toBeLessThanOrEqual(1);
  });

  it('vitest: each server test file has its own ports', () => {
    // Client unit tests (src/) use server names as data only and bind nothing. `npm start`'s ports (8480–8483) appear
    // in server unit tests as names only, and no test may bind them (a developer's running `npm start` holds them).
    const namesOnly = new Set([8480, 8481, 8482, 8483]);
    const self = path.join('scripts', 'test-ports.test.ts');
    const tests = [
      ...filesUnder('server', (f) => f.endsWith('.test.ts')),
      ...filesUnder('scripts', (f) => f.endsWith('.test.ts') && f !== self),
    ];
    expect(tests.length).toBeGreaterThan(30);
    const ports = (f: string) => new Set([...portsIn(readFileSync(path.join(root, f), 'utf8'))].filter((p) => !namesOnly.has(p)));
    const clashes = shared(new Map(tests.map((f) => [f, ports(f)])));
    expect(describeShared(clashes)).toEqual([]);
  });
});
