// Soft-failed events as a reader meets them (PROTOCOL.md §4; the dev.wayfarer additions in soft-failed.ts): /event
// still answers 404 but says the event exists and why it is hidden, and the reveal endpoint serves it, each with
// /event's visibility rules: a non-member gets nothing, a member who joined after it under `joined` history gets
// nothing, a normal event or an unknown ID is not served as soft-failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, say, startServers, user, waitFor } from '../testing/federation-harness';

const SOFT_FAILED = '/_matrix/client/unstable/dev.wayfarer/rooms';
let alpha: RunningHomeserver;
let gamma: RunningHomeserver;
let alice: TestClient; // alpha, the room's creator
let bob: TestClient; // alpha, a member whose handle the impostor claims
let eve: TestClient; // alpha, never in the room
let dave: TestClient; // alpha, joins after the impostor spoke, under `joined` history visibility
let mallory: TestClient; // gamma, claims @bob on alpha; alpha never co-signs it
let roomId: string;
let otherRoomId: string;
let normalId: string;
let hiddenId: string;
let malloryKey: string;

const eventPath = (room: string, id: string) => `/_matrix/client/v3/rooms/${enc(room)}/event/${enc(id)}`;
const revealPath = (room: string, id: string) => `${SOFT_FAILED}/${enc(room)}/soft_failed/${enc(id)}`;

beforeAll(async () => {
  [alpha, gamma] = await startServers(['alpha.localhost:21400', 'gamma.localhost:21401'], ['--link-recheck-seconds', '3600']);
  [alice, bob, eve, dave] = await Promise.all([user(alpha, 'alice'), user(alpha, 'bob'), user(alpha, 'eve'), user(alpha, 'dave')]);
  const [gina, mal] = await Promise.all([user(gamma, 'gina'), user(gamma, 'mallory')]);
  mallory = mal;
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: 'org.matrix.12.4430' })).body.room_id;
  otherRoomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: 'org.matrix.12.4430' })).body
    .room_id;
  const visibility = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.history_visibility/`, {
    history_visibility: 'joined',
  });
  expect(visibility.status).toBe(200);
  expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
  const joined = await gina.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  const forged = await devAdmin(gamma, 'forge_member', {
    room_id: roomId,
    user_id: mallory.userId,
    claimed_domain: alpha.serverName,
    localpart: 'bob',
  });
  malloryKey = (await mallory.get(eventPath(roomId, forged.event_id))).body.unsigned['org.matrix.msc4428.stable_id_state_key'];
  normalId = await say(alice, roomId, 'an ordinary message');
  hiddenId = await say(mallory, roomId, 'it is bob, really');
  await waitFor('alpha to soft-fail the impostor’s message', async () => {
    const status = await devAdmin(alpha, 'event_status', { event_id: hiddenId });
    return status.status !== 'unknown' && status;
  });
  expect((await devAdmin(alpha, 'event_status', { event_id: hiddenId })).status).toBe('soft_failed');
  expect(await bodies(alice, roomId)).not.toContain('it is bob, really');
  expect((await dave.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await Promise.all([alpha, gamma].filter(Boolean).map((s) => s.dispose()));
});

describe('GET /rooms/{roomId}/event/{eventId} of a soft-failed event', () => {
  it('is still the spec’s 404, saying it exists, why it is hidden and who sent it', async () => {
    const reply = await alice.get(eventPath(roomId, hiddenId));
    expect(reply.status).toBe(404);
    expect(reply.body.errcode).toBe('M_NOT_FOUND');
    expect(reply.body['dev.wayfarer.soft_failed']).toMatchObject({ reason: 'unverified_link', link_status: 'unverified' });
    const notice = reply.body['dev.wayfarer.soft_failed'];
    expect(notice.sender).toMatch(new RegExp(`^@_unverified_bob_.*:${alpha.serverName.replace(/\./g, '\\.')}$`));
    expect(`@${String(notice.sender_key).replace(/\+/g, '-').replace(/\//g, '_')}`).toBe(malloryKey);
    expect(JSON.stringify(reply.body)).not.toContain('it is bob, really');
  });

  it('says nothing to a member who could not have seen it (joined later, history `joined`), nor to a non-member', async () => {
    const later = await dave.get(eventPath(roomId, hiddenId));
    expect(later.status).toBe(404);
    expect(later.body['dev.wayfarer.soft_failed']).toBeUndefined();
    const outsider = await eve.get(eventPath(roomId, hiddenId));
    expect(outsider.status).toBe(403);
    expect(outsider.body['dev.wayfarer.soft_failed']).toBeUndefined();
  });

  it('a normal event is served as before; an unknown ID is a plain 404', async () => {
    const normal = await alice.get(eventPath(roomId, normalId));
    expect(normal.status).toBe(200);
    expect(normal.body.content.body).toBe('an ordinary message');
    const unknown = await alice.get(eventPath(roomId, '$notAnEventWeHold'));
    expect(unknown.status).toBe(404);
    expect(unknown.body['dev.wayfarer.soft_failed']).toBeUndefined();
  });
});

describe('GET /_matrix/client/unstable/dev.wayfarer/rooms/{roomId}/soft_failed/{eventId}', () => {
  it('serves the soft-failed event on request, formatted as /event would, with why it was hidden', async () => {
    const reply = await alice.get(revealPath(roomId, hiddenId));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body['dev.wayfarer.soft_failed']).toEqual({ reason: 'unverified_link', link_status: 'unverified' });
    const event = reply.body.event;
    expect(event).toMatchObject({ event_id: hiddenId, room_id: roomId, type: 'm.room.message', content: { body: 'it is bob, really' } });
    expect(event.sender).toMatch(/^@_unverified_bob_/);
    expect(event.unsigned['org.matrix.msc4428.stable_id']).toBe(malloryKey);
    // Revealing it does not let it into the timeline.
    expect(await bodies(alice, roomId)).not.toContain('it is bob, really');
  });

  it('gives a non-member nothing (403), and a member who could not have seen it nothing (404)', async () => {
    const outsider = await eve.get(revealPath(roomId, hiddenId));
    expect(outsider.status).toBe(403);
    expect(JSON.stringify(outsider.body)).not.toContain('it is bob, really');
    const later = await dave.get(revealPath(roomId, hiddenId));
    expect(later.status).toBe(404);
    expect(JSON.stringify(later.body)).not.toContain('it is bob, really');
  });

  it('does not serve a normal event, an unknown ID, or the event under another room', async () => {
    const normal = await alice.get(revealPath(roomId, normalId));
    expect(normal.status).toBe(404);
    expect(normal.body.errcode).toBe('M_NOT_FOUND');
    expect(normal.body.event).toBeUndefined();
    expect((await alice.get(revealPath(roomId, '$notAnEventWeHold'))).status).toBe(404);
    const elsewhere = await alice.get(revealPath(otherRoomId, hiddenId));
    expect(elsewhere.status).toBe(404);
    expect(JSON.stringify(elsewhere.body)).not.toContain('it is bob, really');
  });

  it('wants a session', async () => {
    const anonymous = await fetch(`${alpha.baseUrl}${revealPath(roomId, hiddenId)}`);
    expect(anonymous.status).toBe(401);
  });
});
