// Seeds a demo homeserver with users, rooms and some history. Idempotent: run it on every `npm start`;
// existing users log in instead of registering, and rooms are found by alias (the DM through m.direct).
// Usage: tsx server/demo/seed.ts --base-url http://127.0.0.1:8481 --server-name alpha.localhost:8481
import { parseArgs } from 'node:util';
import { enc, TestClient } from '../testing/http-client';

export const DEMO_USERS = [
  { localpart: 'alice', password: 'wayfarer-alice', displayname: 'Alice' },
  { localpart: 'bob', password: 'wayfarer-bob', displayname: 'Bob' },
  { localpart: 'carol', password: 'wayfarer-carol', displayname: 'Carol' },
] as const;

type Name = (typeof DEMO_USERS)[number]['localpart'];

async function signIn(baseUrl: string, user: (typeof DEMO_USERS)[number]): Promise<TestClient> {
  const client = new TestClient(baseUrl);
  const login = await client.post('/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: user.localpart },
    password: user.password,
    device_id: 'DEMO_SEED',
  });
  if (login.status === 200) {
    client.accessToken = login.body.access_token;
    client.userId = login.body.user_id;
    return client;
  }
  await client.register(user.localpart, user.password);
  await client.put(`/_matrix/client/v3/profile/${enc(client.userId!)}/displayname`, { displayname: user.displayname });
  return client;
}

async function ok<T = any>(reply: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const result = await reply;
  if (result.status !== 200) throw new Error(`${what}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

async function say(client: TestClient, roomId: string, body: string): Promise<void> {
  await ok(
    client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/seed-${Date.now()}-${Math.random()}`, {
      msgtype: 'm.text',
      body,
    }),
    'send',
  );
}

async function ensureRoom(
  clients: Record<Name, TestClient>,
  serverName: string,
  spec: { alias: string; name: string; topic: string; roomVersion: string; members: Name[]; history: Array<[Name, string]> },
): Promise<string> {
  const alice = clients.alice;
  const existing = await alice.get(`/_matrix/client/v3/directory/room/${enc(`#${spec.alias}:${serverName}`)}`);
  if (existing.status === 200) return existing.body.room_id;
  const { room_id: roomId } = await ok(
    alice.post('/_matrix/client/v3/createRoom', {
      room_alias_name: spec.alias,
      name: spec.name,
      topic: spec.topic,
      room_version: spec.roomVersion,
      preset: 'public_chat',
      visibility: 'public',
    }),
    `create ${spec.alias}`,
  );
  for (const member of spec.members)
    await ok(clients[member].post(`/_matrix/client/v3/join/${enc(roomId)}`, {}), `${member} joins ${spec.alias}`);
  for (const [who, text] of spec.history) await say(clients[who], roomId, text);
  return roomId;
}

async function ensureDirectMessage(clients: Record<Name, TestClient>): Promise<string> {
  const { alice, bob } = clients;
  const direct = await alice.get(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.direct`);
  const known = direct.status === 200 ? (direct.body[bob.userId!] as string[] | undefined)?.[0] : undefined;
  if (known) return known;
  const { room_id: roomId } = await ok(
    alice.post('/_matrix/client/v3/createRoom', { is_direct: true, preset: 'trusted_private_chat', invite: [bob.userId] }),
    'create DM',
  );
  await ok(bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}), 'bob joins DM');
  await ok(alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.direct`, { [bob.userId!]: [roomId] }), 'alice m.direct');
  await ok(bob.put(`/_matrix/client/v3/user/${enc(bob.userId!)}/account_data/m.direct`, { [alice.userId!]: [roomId] }), 'bob m.direct');
  await say(alice, roomId, 'Hi Bob, this is a direct message.');
  await say(bob, roomId, 'Hi Alice! Same key, same person.');
  return roomId;
}

export async function seedDemo(baseUrl: string, serverName: string) {
  const clients = {} as Record<Name, TestClient>;
  for (const user of DEMO_USERS) clients[user.localpart] = await signIn(baseUrl, user);
  const lobby = await ensureRoom(clients, serverName, {
    alias: 'lobby',
    name: 'Lobby (member keys)',
    topic: 'A room of room version org.matrix.12.4430: every member is a key',
    roomVersion: 'org.matrix.12.4430',
    members: ['bob', 'carol'],
    history: [
      ['alice', 'Welcome to Wayfarer! In this room each of us is a member key.'],
      ['bob', 'So my handle is only a claim that alpha co-signs?'],
      ['carol', 'Yes, and the client shows whether the claim is verified.'],
      ['alice', 'Try opening a member to inspect their identity.'],
    ],
  });
  const classic = await ensureRoom(clients, serverName, {
    alias: 'classic',
    name: 'Classic room (v11)',
    topic: 'Room version 11: senders are plain user IDs',
    roomVersion: '11',
    members: ['bob'],
    history: [
      ['bob', 'This one is a classic room.'],
      ['alice', 'Here the sender is the identity, as in Matrix today.'],
    ],
  });
  const dm = await ensureDirectMessage(clients);
  return { lobby, classic, dm };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { 'base-url': { type: 'string' }, 'server-name': { type: 'string' } } });
  if (!values['base-url'] || !values['server-name']) {
    console.error('usage: tsx server/demo/seed.ts --base-url URL --server-name NAME');
    process.exit(2);
  }
  seedDemo(values['base-url'], values['server-name']).then(
    (rooms) =>
      console.log(
        JSON.stringify({
          rooms,
          users: DEMO_USERS.map(({ localpart, password }) => ({ userId: `@${localpart}:${values['server-name']}`, password })),
        }),
      ),
    (error: unknown) => {
      console.error('seeding failed:', error);
      process.exit(1);
    },
  );
}
