// Seeds the three-server demo (after each server's own seed): a member-key room spanning alpha, beta and gamma
// with history, a classic room on beta that alpha and gamma join, a direct message alpha↔beta, and one member on
// gamma whose link is forged (claims @bob on beta, which never co-signed it), so an unverified handle shows at once.
// Idempotent: every step looks for what it would create first.
// Usage: tsx server/demo/federation-seed.ts --server alpha.localhost:8481=http://127.0.0.1:8481 (×3) --dev-token TOKEN
import { parseArgs } from 'node:util';
import { enc, TestClient } from '../testing/http-client';

type Server = { serverName: string; baseUrl: string };

async function ok<T = any>(reply: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const result = await reply;
  if (result.status !== 200) throw new Error(`${what}: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body;
}

async function signIn(server: Server, localpart: string, displayname: string): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  const password = `wayfarer-${localpart}`;
  const login = await client.post('/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: localpart },
    password,
    device_id: 'DEMO_FED_SEED',
  });
  if (login.status === 200) {
    client.accessToken = login.body.access_token;
    client.userId = login.body.user_id;
    return client;
  }
  await client.register(localpart, password);
  await client.put(`/_matrix/client/v3/profile/${enc(client.userId!)}/displayname`, { displayname });
  return client;
}

async function say(client: TestClient, roomId: string, body: string, content: Record<string, unknown> = {}): Promise<string> {
  const sent = await ok(
    client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/fedseed-${Date.now()}-${Math.random()}`, {
      msgtype: 'm.text',
      body,
      ...content,
    }),
    'send',
  );
  return sent.event_id as string;
}

/** Sends, then waits (bounded) until `reader` sees it, so history reads in conversation order on every server. */
async function sayAndWait(
  client: TestClient,
  reader: TestClient,
  roomId: string,
  body: string,
  content: Record<string, unknown> = {},
): Promise<void> {
  await say(client, roomId, body, content);
  for (let i = 0; i < 100; i++) {
    const reply = await reader.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=20`);
    if (reply.status === 200 && (reply.body.chunk as any[]).some((e) => e.content?.body === body)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`"${body}" did not reach ${reader.userId}`);
}

async function joined(client: TestClient, roomId: string): Promise<boolean> {
  const rooms = await ok(client.get('/_matrix/client/v3/joined_rooms'), 'joined_rooms');
  return (rooms.joined_rooms as string[]).includes(roomId);
}

async function ensureJoined(client: TestClient, roomIdOrAlias: string, roomId: string, via: string): Promise<void> {
  if (await joined(client, roomId)) return;
  await ok(
    client.post(`/_matrix/client/v3/join/${enc(roomIdOrAlias)}?server_name=${enc(via)}`, {}),
    `${client.userId} joins ${roomIdOrAlias}`,
  );
}

/** Creates the room (with history) unless its alias already resolves; returns the room ID and whether it is new. */
async function ensureRoom(
  owner: TestClient,
  server: Server,
  alias: string,
  create: Record<string, unknown>,
): Promise<{ roomId: string; created: boolean }> {
  const existing = await owner.get(`/_matrix/client/v3/directory/room/${enc(`#${alias}:${server.serverName}`)}`);
  if (existing.status === 200) return { roomId: existing.body.room_id, created: false };
  const { room_id: roomId } = await ok(
    owner.post('/_matrix/client/v3/createRoom', { ...create, room_alias_name: alias, preset: 'public_chat', visibility: 'public' }),
    `create #${alias}`,
  );
  return { roomId, created: true };
}

async function devAdmin(server: Server, token: string, action: string, body: unknown): Promise<any> {
  const response = await fetch(`${server.baseUrl}/_wayfarer/dev/${action}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status !== 200) throw new Error(`dev ${action} on ${server.serverName}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function seedFederation(alpha: Server, beta: Server, gamma: Server, devToken: string) {
  const alice = await signIn(alpha, 'alice', 'Alice');
  const bob = await signIn(beta, 'bob', 'Bob');
  const carol = await signIn(gamma, 'carol', 'Carol');
  const mallory = await signIn(gamma, 'mallory', 'Bob (really)');

  const commons = await ensureRoom(alice, alpha, 'commons', {
    name: 'Commons (three servers, member keys)',
    topic: 'alpha, beta and gamma share this room; every member is a key',
    room_version: 'org.matrix.12.4430',
  });
  const commonsAlias = `#commons:${alpha.serverName}`;
  await ensureJoined(bob, commonsAlias, commons.roomId, alpha.serverName);
  await ensureJoined(carol, commonsAlias, commons.roomId, alpha.serverName);
  if (commons.created) {
    await sayAndWait(alice, carol, commons.roomId, 'Welcome to the commons: three homeservers, one room.');
    await sayAndWait(bob, alice, commons.roomId, 'Hello from beta! My handle is co-signed by beta.');
    await sayAndWait(carol, alice, commons.roomId, 'And gamma here. Check the members panel: each of us is a key.');
    await sayAndWait(alice, bob, commons.roomId, 'Someone on gamma claims to be @bob on beta. Beta never signed that claim.');
  }

  const harbour = await ensureRoom(bob, beta, 'harbour', {
    name: 'Harbour (classic v11, on beta)',
    topic: 'A classic room: the sender is the identity',
    room_version: '11',
  });
  const harbourAlias = `#harbour:${beta.serverName}`;
  await ensureJoined(alice, harbourAlias, harbour.roomId, beta.serverName);
  await ensureJoined(carol, harbourAlias, harbour.roomId, beta.serverName);
  if (harbour.created) {
    await sayAndWait(bob, alice, harbour.roomId, 'This room lives on beta and speaks room version 11.');
    await sayAndWait(alice, bob, harbour.roomId, 'Joined from alpha over federation.');
  }

  const direct = await alice.get(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.direct`);
  let dm = direct.status === 200 ? (direct.body[bob.userId!] as string[] | undefined)?.[0] : undefined;
  if (!dm) {
    dm = (
      await ok(
        alice.post('/_matrix/client/v3/createRoom', { is_direct: true, preset: 'trusted_private_chat', invite: [bob.userId] }),
        'create DM',
      )
    ).room_id as string;
    await ok(
      alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.direct`, {
        ...(direct.status === 200 ? direct.body : {}),
        [bob.userId!]: [dm],
      }),
      'alice m.direct',
    );
  }
  if (!(await joined(bob, dm))) {
    await ensureJoined(bob, dm, dm, alpha.serverName);
    const bobDirect = await bob.get(`/_matrix/client/v3/user/${enc(bob.userId!)}/account_data/m.direct`);
    await ok(
      bob.put(`/_matrix/client/v3/user/${enc(bob.userId!)}/account_data/m.direct`, {
        ...(bobDirect.status === 200 ? bobDirect.body : {}),
        [alice.userId!]: [dm],
      }),
      'bob m.direct',
    );
    await sayAndWait(alice, bob, dm, 'Hi Bob, a direct message from alpha to beta.');
    await sayAndWait(bob, alice, dm, 'Hi Alice! Same key, same person, across servers.');
  }

  // The forged link: gamma signs mallory's member event claiming localpart "bob" on beta; beta never co-signs it.
  if (!(await joined(mallory, commons.roomId))) {
    await devAdmin(gamma, devToken, 'forge_member', {
      room_id: commons.roomId,
      user_id: mallory.userId,
      claimed_domain: beta.serverName,
      localpart: 'bob',
    });
    // Only gamma shows this: every other server soft-fails messages from an unverified member.
    const impostor = await say(mallory, commons.roomId, 'Hi all, it’s Bob. (Is it?)');
    // Carol (gamma) answers it: elsewhere the quote says the message is hidden, and why, and can be shown on request.
    await sayAndWait(carol, alice, commons.roomId, 'Is that really you, Bob? Your handle shows as unverified here.', {
      'm.relates_to': { 'm.in_reply_to': { event_id: impostor } },
    });
  }

  return {
    rooms: { commons: commons.roomId, harbour: harbour.roomId, dm },
    users: [
      { userId: alice.userId, password: 'wayfarer-alice' },
      { userId: bob.userId, password: 'wayfarer-bob' },
      { userId: carol.userId, password: 'wayfarer-carol' },
      { userId: mallory.userId, password: 'wayfarer-mallory', note: 'forged link: claims @bob on beta' },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { server: { type: 'string', multiple: true }, 'dev-token': { type: 'string' } } });
  const servers = (values.server ?? []).map((s) => {
    const [serverName, baseUrl] = s.split('=');
    return { serverName: serverName!, baseUrl: baseUrl! };
  });
  if (servers.length !== 3 || servers.some((s) => !s.serverName || !s.baseUrl) || !values['dev-token']) {
    console.error('usage: tsx server/demo/federation-seed.ts --server NAME=URL --server NAME=URL --server NAME=URL --dev-token TOKEN');
    process.exit(2);
  }
  seedFederation(servers[0]!, servers[1]!, servers[2]!, values['dev-token']).then(
    (result) => console.log(JSON.stringify(result)),
    (error: unknown) => {
      console.error('federation seeding failed:', error);
      process.exit(1);
    },
  );
}
