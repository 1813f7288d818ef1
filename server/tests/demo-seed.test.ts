// The `npm start` demo seeding: users, a member-key room, a classic room and a DM with history; running it
// again (every `npm start`) changes nothing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemo } from '../demo/seed';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVER = 'alpha.localhost:18507';
let server: RunningHomeserver;

beforeAll(async () => {
  server = await startHomeserver({ serverName: SERVER });
});
afterAll(() => server?.dispose());

describe('demo seed', () => {
  it('creates the demo rooms once, and a second run (after a restart) finds them again', async () => {
    const first = await seedDemo(server.baseUrl, SERVER);
    await server.restart();
    const second = await seedDemo(server.baseUrl, SERVER);
    expect(second).toEqual(first);
    const bob = new TestClient(server.baseUrl);
    bob.accessToken = (
      await bob.post('/_matrix/client/v3/login', { type: 'm.login.password', user: 'bob', password: 'wayfarer-bob' })
    ).body.access_token;
    const joined = (await bob.get('/_matrix/client/v3/joined_rooms')).body.joined_rooms;
    expect(joined.sort()).toEqual([first.lobby, first.classic, first.dm].sort());
    const lobby = await bob.get(
      `/_matrix/client/v3/rooms/${enc(first.lobby)}/messages?dir=b&limit=100&filter=${enc(JSON.stringify({ types: ['m.room.message'] }))}`,
    );
    expect(lobby.body.chunk).toHaveLength(4);
    const create = await bob.get(`/_matrix/client/v3/rooms/${enc(first.lobby)}/state/m.room.create/`);
    expect(create.body.room_version).toBe('org.matrix.12.4430');
  }, 60_000);
});
