// The three-server demo seed: everything the first screen needs, created once; a second run changes nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seedFederation } from '../demo/federation-seed';
import type { RunningHomeserver } from '../testing/spawn';
import { TestClient } from '../testing/http-client';
import { bodies, DEV_TOKEN, enc, memberInfo, startServers, waitFor } from '../testing/federation-harness';

let servers: RunningHomeserver[];

beforeAll(async () => {
  servers = await startServers(['alpha.localhost:18741', 'beta.localhost:18742', 'gamma.localhost:18743']);
});

afterAll(async () => {
  await Promise.all((servers ?? []).map((s) => s.dispose()));
});

it('seeds a room over three servers with history, a classic room, a DM and a forged link; idempotent', async () => {
  const [alpha, beta, gamma] = servers.map((s) => ({ serverName: s.serverName, baseUrl: s.baseUrl }));
  const first = await seedFederation(alpha!, beta!, gamma!, DEV_TOKEN);
  const second = await seedFederation(alpha!, beta!, gamma!, DEV_TOKEN);
  expect(second.rooms).toEqual(first.rooms);

  const alice = new TestClient(alpha!.baseUrl);
  const login = await alice.post('/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: 'alice' },
    password: 'wayfarer-alice',
  });
  alice.accessToken = login.body.access_token;
  const commons = first.rooms.commons;
  const history = await bodies(alice, commons);
  expect(history).toEqual([
    'Welcome to the commons: three homeservers, one room.',
    'Hello from beta! My handle is co-signed by beta.',
    'And gamma here. Check the members panel: each of us is a key.',
    'Someone on gamma claims to be @bob on beta. Beta never signed that claim.',
    'Is that really you, Bob? Your handle shows as unverified here.',
  ]);
  // The impostor's message stays on gamma: everywhere else it is soft-failed (an unverified sender). Carol's reply
  // quotes it: alpha's /event says it exists and was hidden for its sender's link.
  expect(history.some((b) => b.includes('it’s Bob'))).toBe(false);
  const chunk = (await alice.get(`/_matrix/client/v3/rooms/${enc(commons)}/messages?dir=b&limit=50`)).body.chunk as any[];
  const reply = chunk.find((e) => e.content?.body?.startsWith('Is that really you'));
  const quoted = await alice.get(
    `/_matrix/client/v3/rooms/${enc(commons)}/event/${enc(reply.content['m.relates_to']['m.in_reply_to'].event_id)}`,
  );
  expect(quoted.status).toBe(404);
  expect(quoted.body['dev.wayfarer.soft_failed']).toMatchObject({ reason: 'unverified_link', link_status: 'unverified' });
  const links = await waitFor('four members, the forged one included, on alpha', async () => {
    const found = Object.values(await memberInfo(alice, commons)).map((m: any) => m['dev.wayfarer.link']);
    return found.length === 4 && found;
  });
  expect(
    links
      .filter((l) => l.status === 'verified')
      .map((l) => `${l.localpart}:${l.domain}`)
      .sort(),
  ).toEqual([`alice:${alpha!.serverName}`, `bob:${beta!.serverName}`, `carol:${gamma!.serverName}`].sort());
  const forged = links.filter((l) => l.status === 'unverified');
  expect(forged).toHaveLength(1);
  expect(forged[0]).toMatchObject({ localpart: 'bob', domain: beta!.serverName });
  expect((await alice.get(`/_matrix/client/v3/rooms/${enc(first.rooms.harbour)}/state/m.room.create/`)).body.room_version).toBe('11');
  expect(await bodies(alice, first.rooms.dm)).toEqual([
    'Hi Bob, a direct message from alpha to beta.',
    'Hi Alice! Same key, same person, across servers.',
  ]);
}, 120_000);
