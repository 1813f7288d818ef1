// POST /rooms/{roomId}/read_markers and m.fully_read, checked against the spec's OpenAPI: one request moves the
// fully-read marker (room account data, in /sync and GET account_data) and the read receipt; the events must be in
// the room and the caller joined; a request with one bad event changes nothing; clients cannot write m.fully_read
// through the account-data API (405 M_BAD_JSON).
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { serverWithUsers, expectOk } from '../testing/one-server';
import { enc, type TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const fixture = serverWithUsers('alpha.localhost:22401', ['alice', 'bob', 'carol']);
let alice: TestClient;
let bob: TestClient;
let carol: TestClient;
let roomId: string;
let otherRoomId: string;

const send = async (client: TestClient, room: string, body: string) =>
  expectOk(await client.put(`/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/t${Math.random()}`, { msgtype: 'm.text', body }))
    .event_id as string;
const markers = (client: TestClient, body: unknown, room = roomId) =>
  client.post(`/_matrix/client/v3/rooms/${enc(room)}/read_markers`, body);
const fullyRead = async (client: TestClient, room = roomId) => {
  const reply = await client.get(`/_matrix/client/v3/user/${enc(client.userId!)}/rooms/${enc(room)}/account_data/m.fully_read`);
  return reply.status === 200 ? (reply.body.event_id as string) : undefined;
};
const readReceipt = async (client: TestClient, of: string) => {
  const sync = expectOk(await client.get('/_matrix/client/v3/sync'));
  const receipt = sync.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === 'm.receipt');
  return Object.keys(receipt?.content ?? {}).find((eventId) => receipt.content[eventId]['m.read']?.[of]);
};

beforeAll(async () => {
  ({ alice, bob, carol } = fixture);
  roomId = expectOk(await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'Porch' })).room_id;
  otherRoomId = expectOk(await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).room_id;
  expectOk(await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/join`, {}));
});

describe('read markers', () => {
  it('moves m.fully_read and m.read in one request: account data, /sync and the receipt others see', async () => {
    const first = await send(alice, roomId, 'one');
    const second = await send(alice, roomId, 'two');
    const reply = await markers(bob, { 'm.fully_read': first, 'm.read': second });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    assertMatchesSpec('/rooms/{roomId}/read_markers', 'post', 200, reply.body);
    expect(await fullyRead(bob)).toBe(first);
    const sync = expectOk(await bob.get('/_matrix/client/v3/sync'));
    assertMatchesSpec('/sync', 'get', 200, sync);
    expect(sync.rooms.join[roomId].account_data.events).toContainEqual({ type: 'm.fully_read', content: { event_id: first } });
    expect(await readReceipt(alice, bob.userId!)).toBe(second);
    // The marker alone (m.read is optional since v1.4, and so is m.fully_read).
    expectOk(await markers(bob, { 'm.fully_read': second }));
    expect(await fullyRead(bob)).toBe(second);
    expectOk(await markers(bob, {}));
    expect(await fullyRead(bob)).toBe(second);
  });

  it('refuses events of another room, non-strings and non-members, and a bad request changes nothing', async () => {
    const mine = await send(alice, roomId, 'three');
    const elsewhere = await send(alice, otherRoomId, 'not here');
    const before = await fullyRead(bob);
    const receiptBefore = await readReceipt(alice, bob.userId!);
    for (const body of [
      { 'm.fully_read': elsewhere },
      { 'm.read': mine, 'm.fully_read': elsewhere },
      { 'm.fully_read': mine, 'm.read': elsewhere },
    ]) {
      const reply = await markers(bob, body);
      expect(reply.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(await fullyRead(bob)).toBe(before);
      expect(await readReceipt(alice, bob.userId!)).toBe(receiptBefore);
    }
    expect((await markers(bob, { 'm.fully_read': 7 })).status).toBe(400);
    expect((await markers(carol, { 'm.fully_read': mine })).status).toBe(403);
    expect(await fullyRead(carol)).toBeUndefined();
  });

  it('m.fully_read is the server’s: PUT account_data refuses it with 405 M_BAD_JSON', async () => {
    const mine = await send(alice, roomId, 'four');
    const reply = await bob.put(`/_matrix/client/v3/user/${enc(bob.userId!)}/rooms/${enc(roomId)}/account_data/m.fully_read`, {
      event_id: mine,
    });
    expect(reply.status).toBe(405);
    expect(reply.body.errcode).toBe('M_BAD_JSON');
    assertMatchesSpec('/user/{userId}/rooms/{roomId}/account_data/{type}', 'put', 405, reply.body);
    expect(await fullyRead(bob)).not.toBe(mine);
  });
});
