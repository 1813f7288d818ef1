// /messages backfills over federation on demand: beta joins a room alpha made long ago, and paging back reaches
// the create event through /backfill, stored as history (no /sync, no state change); a dead origin or a lying
// server (evil, an in-test federation endpoint) does not break the page.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServerKeyResponse,
  computeEventId,
  keyPairFromSeed,
  MEMBER_KEY_ID,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  signEvent,
  signXMatrixRequest,
} from '../../src/protocol';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { devAdmin, enc, startServers, user } from '../testing/federation-harness';

const ALPHA = 'alpha.localhost:20401';
const BETA = 'beta.localhost:20402';
const EVIL = 'evil.localhost:20403';
const EVIL_KEY = { keyId: 'ed25519:evil', seed: new Uint8Array(randomBytes(32)) };
const MESSAGES = 150;

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let evilServer: Server;
let alice: TestClient;
let bob: TestClient;
/** What evil answers to /backfill per room, and how often it was asked. */
const evil = { backfillPdus: new Map<string, unknown[]>(), backfillRequests: 0 };

async function toAlpha(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  headers.Authorization = signXMatrixRequest(
    { method, uri: path, origin: EVIL, destination: ALPHA, ...(body !== undefined ? { content: body } : {}) },
    EVIL_KEY.keyId,
    EVIL_KEY.seed,
  );
  const response = await fetch(`${alpha.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

function reply(res: import('node:http').ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  evilServer = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/_matrix/key/v2/server'))
      return reply(res, 200, buildServerKeyResponse(EVIL, EVIL_KEY.keyId, EVIL_KEY.seed, Date.now() + 3_600_000));
    if (url.startsWith('/_matrix/federation/v1/backfill/')) {
      evil.backfillRequests++;
      const roomId = decodeURIComponent(url.split('/')[5]!.split('?')[0]!);
      return reply(res, 200, { origin: EVIL, origin_server_ts: Date.now(), pdus: evil.backfillPdus.get(roomId) ?? [] });
    }
    if (url.startsWith('/_matrix/federation/v1/send/')) return reply(res, 200, { pdus: {} });
    reply(res, 404, { errcode: 'M_UNRECOGNIZED', error: 'no' });
  });
  await new Promise<void>((resolve) => evilServer.listen(20403, '127.0.0.1', () => resolve()));
  [alpha, beta] = await startServers([ALPHA, BETA]);
  alice = await user(alpha, 'alice');
  bob = await user(beta, 'bob');
}, 180_000);

afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
  await new Promise((resolve) => evilServer?.close(resolve));
});

async function send(client: TestClient, roomId: string, type: string, content: unknown, stateKey?: string): Promise<string> {
  const path =
    stateKey === undefined
      ? `/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/${Math.random().toString(36).slice(2)}`
      : `/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/${enc(stateKey)}`;
  const sent = await client.put(path, content);
  if (sent.status !== 200) throw new Error(`send ${type}: ${sent.status} ${JSON.stringify(sent.body)}`);
  return sent.body.event_id;
}

/** A room on alpha with `MESSAGES` numbered messages, renamed half-way ("First" then "Second"). */
async function roomWithHistory(label: string): Promise<{ roomId: string; bodies: string[]; ids: string[] }> {
  const created = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: `${label}: First` });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const roomId: string = created.body.room_id;
  const bodies = Array.from({ length: MESSAGES }, (_, i) => `${label} ${i}`);
  const ids: string[] = [];
  for (const [i, body] of bodies.entries()) {
    if (i === 20) await send(alice, roomId, 'm.room.name', { name: `${label}: Second` }, '');
    ids.push(await send(alice, roomId, 'm.room.message', { msgtype: 'm.text', body }));
  }
  return { roomId, bodies, ids };
}

async function joinOnBeta(roomId: string): Promise<void> {
  const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(ALPHA)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
}

/** Pages back with /messages until `end` is absent; returns every event (newest first) and each page's tokens. */
async function pageBack(
  client: TestClient,
  roomId: string,
  limit = 10,
): Promise<{ events: any[]; pages: { from: string | undefined; ids: string[] }[] }> {
  const events: any[] = [];
  const pages: { from: string | undefined; ids: string[] }[] = [];
  let from: string | undefined;
  for (let page = 0; page < 200; page++) {
    const query = `dir=b&limit=${limit}${from ? `&from=${enc(from)}` : ''}`;
    const answer = await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    events.push(...answer.body.chunk);
    pages.push({ from, ids: answer.body.chunk.map((e: any) => e.event_id) });
    if (answer.body.end === undefined) return { events, pages };
    from = answer.body.end;
  }
  throw new Error('pagination never ended');
}

/** Eve of evil joins through alpha (a member key in this room version), so beta counts evil as a resident. */
async function eveJoins(roomId: string) {
  const eveSeed = new Uint8Array(randomBytes(32));
  const eveId = memberIdFromPublicKey(keyPairFromSeed(eveSeed).publicKey);
  const made = await toAlpha('GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(eveId)}?ver=${enc(MEMBER_KEYS_ROOM_VERSION)}`);
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const asEve = signEvent(
    { ...made.body.event, content: { membership: 'join', localpart: 'eve', domain: EVIL }, origin_server_ts: Date.now() },
    MEMBER_KEYS_ROOM_VERSION,
    eveId,
    MEMBER_KEY_ID,
    eveSeed,
  );
  const join = signEvent(asEve, MEMBER_KEYS_ROOM_VERSION, EVIL, EVIL_KEY.keyId, EVIL_KEY.seed);
  const joinId = computeEventId(join, MEMBER_KEYS_ROOM_VERSION);
  const sent = await toAlpha('PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(joinId)}`, join);
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  const powerLevels = (sent.body.state as any[]).find((e) => e.type === 'm.room.power_levels');
  return { eveSeed, eveId, joinId, powerLevels, depth: join.depth as number };
}

const messageBodies = (events: any[]) =>
  events
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body as string)
    .reverse();
const roomName = async (roomId: string) => (await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`)).body.name;

describe('/messages backfills from other servers', () => {
  it('pages back to the create event: every message once, in order; backfill is history, not live', async () => {
    const { roomId, bodies, ids: sentIds } = await roomWithHistory('whole');
    // Redacted after the fact: beta gets the redaction with the join-time history, its target only by backfill.
    const redacted = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(sentIds[5]!)}/r1`, { reason: 'oops' });
    expect(redacted.status, JSON.stringify(redacted.body)).toBe(200);
    await joinOnBeta(roomId);
    const since: string = (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.next_batch;

    const { events, pages } = await pageBack(bob, roomId);
    expect(messageBodies(events)).toEqual(bodies.map((body, i) => (i === 5 ? undefined : body)));
    expect(events.find((e) => e.event_id === sentIds[5]).content).toEqual({});
    const ids = events.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(events.at(-1).type).toBe('m.room.create');
    expect(events.filter((e) => e.type === 'm.room.name').map((e) => e.content.name)).toEqual(['whole: Second', 'whole: First']);

    // Tokens handed out before a backfill still page the same events afterwards.
    for (const page of pages.slice(0, 14)) {
      const again = await bob.get(
        `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=10${page.from ? `&from=${enc(page.from)}` : ''}`,
      );
      expect(again.body.chunk.map((e: any) => e.event_id)).toEqual(page.ids);
    }

    // The old name came back as history: the room keeps its current name, and /sync reports nothing new.
    expect(await roomName(roomId)).toBe('whole: Second');
    const incremental = (await bob.get(`/_matrix/client/v3/sync?timeout=0&since=${enc(since)}`)).body;
    const room = incremental.rooms?.join?.[roomId];
    expect(room?.timeline?.events ?? []).toEqual([]);
    expect(room?.state?.events ?? []).toEqual([]);
    const fresh = (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms.join[roomId];
    expect(fresh.state.events.find((e: any) => e.type === 'm.room.name').content.name).toBe('whole: Second');
  }, 180_000);

  it('fetches nothing the caller may not see: with history_visibility joined, no backfill before their join', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    const roomId: string = created.body.room_id;
    const first = await send(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'before bob 0' });
    for (let i = 1; i < 120; i++) await send(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: `before bob ${i}` });
    await joinOnBeta(roomId);
    await send(bob, roomId, 'm.room.message', { msgtype: 'm.text', body: 'bob is here' });

    const { events } = await pageBack(bob, roomId);
    expect(messageBodies(events)).toEqual(['bob is here']);
    expect((await devAdmin(beta, 'event_status', { event_id: first })).status).toBe('unknown');
  }, 120_000);

  it('answers other servers by what their members could see: under joined, /event and /backfill redact what came before', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    const roomId: string = created.body.room_id;
    const secret = await send(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'before eve' });
    await eveJoins(roomId);
    const after = await send(alice, roomId, 'm.room.message', { msgtype: 'm.text', body: 'after eve' });

    const hidden = await toAlpha('GET', `/_matrix/federation/v1/event/${enc(secret)}`);
    expect(hidden.status, JSON.stringify(hidden.body)).toBe(200);
    expect(hidden.body.pdus[0]).toMatchObject({ type: 'm.room.message', content: {} });
    expect((await toAlpha('GET', `/_matrix/federation/v1/event/${enc(after)}`)).body.pdus[0].content.body).toBe('after eve');

    const backfill = await toAlpha('GET', `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(after)}&limit=20`);
    expect(backfill.status, JSON.stringify(backfill.body)).toBe(200);
    const pdus = backfill.body.pdus as any[];
    expect(pdus.filter((e) => e.type === 'm.room.message').map((e) => e.content.body)).toEqual(['after eve', undefined]);
    // What came before the setting (shared then) is whole, and redaction keeps what auth needs.
    expect(pdus.find((e) => e.type === 'm.room.history_visibility').content.history_visibility).toBe('joined');
    expect(pdus.find((e) => e.type === 'm.room.power_levels').content.users).toBeDefined();
  }, 60_000);

  describe('with alpha down after the join, and a lying server in the room', () => {
    let roomId: string;
    let bodies: string[];
    let forgedId: string;

    let redactRoomId: string;
    let originalId: string;

    beforeAll(async () => {
      ({ roomId, bodies } = await roomWithHistory('down'));
      const { eveId, joinId, powerLevels } = await eveJoins(roomId);

      // Evil's /backfill answers with a message that claims Eve as sender but is signed by another key.
      const forged = signEvent(
        {
          type: 'm.room.message',
          room_id: roomId,
          sender: eveId,
          content: { msgtype: 'm.text', body: 'forged history' },
          origin_server_ts: Date.now(),
          depth: 3,
          prev_events: [computeEventId(powerLevels, MEMBER_KEYS_ROOM_VERSION)],
          auth_events: [computeEventId(powerLevels, MEMBER_KEYS_ROOM_VERSION), joinId],
        },
        MEMBER_KEYS_ROOM_VERSION,
        eveId,
        MEMBER_KEY_ID,
        new Uint8Array(randomBytes(32)),
      );
      forgedId = computeEventId(forged, MEMBER_KEYS_ROOM_VERSION);
      evil.backfillPdus.set(roomId, [forged, { type: 'garbage' }, 'not even an object']);

      // Another room: Eve's message and her redaction of it lie beyond beta's join-time history; evil serves the
      // original (validly signed) with the redaction, so beta must keep it redacted.
      redactRoomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
      const eve = await eveJoins(redactRoomId);
      const eveEvent = (type: string, content: Record<string, unknown>, prev: string, depth: number) => {
        const pdu = signEvent(
          {
            type,
            room_id: redactRoomId,
            sender: eve.eveId,
            content,
            origin_server_ts: Date.now(),
            depth,
            prev_events: [prev],
            auth_events: [computeEventId(eve.powerLevels, MEMBER_KEYS_ROOM_VERSION), eve.joinId],
          },
          MEMBER_KEYS_ROOM_VERSION,
          eve.eveId,
          MEMBER_KEY_ID,
          eve.eveSeed,
        );
        return { pdu, id: computeEventId(pdu, MEMBER_KEYS_ROOM_VERSION) };
      };
      const original = eveEvent('m.room.message', { msgtype: 'm.text', body: 'regrettable' }, eve.joinId, eve.depth + 1);
      const redaction = eveEvent('m.room.redaction', { redacts: original.id }, original.id, eve.depth + 2);
      originalId = original.id;
      const txn = await toAlpha('PUT', `/_matrix/federation/v1/send/r${Date.now()}`, {
        origin: EVIL,
        origin_server_ts: Date.now(),
        pdus: [original.pdu, redaction.pdu],
        edus: [],
      });
      expect(txn.status, JSON.stringify(txn.body)).toBe(200);
      for (let i = 0; i < 110; i++) await send(alice, redactRoomId, 'm.room.message', { msgtype: 'm.text', body: `after ${i}` });
      evil.backfillPdus.set(redactRoomId, [redaction.pdu, original.pdu]);

      await joinOnBeta(roomId);
      await joinOnBeta(redactRoomId);
      await alpha.stop();
    }, 180_000);

    it('answers with what beta has, asks evil after alpha, and stores none of its garbage', async () => {
      const { events } = await pageBack(bob, roomId);
      const got = messageBodies(events);
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(bodies.length);
      expect(got).toEqual(bodies.slice(bodies.length - got.length));
      expect(events.at(-1).type).not.toBe('m.room.create');
      expect(evil.backfillRequests).toBeGreaterThan(0);
      expect(got).not.toContain('forged history');
      expect((await devAdmin(beta, 'event_status', { event_id: forgedId })).status).toBe('unknown');
    }, 120_000);

    it('keeps history redacted when its redaction came in the same backfill', async () => {
      const { events } = await pageBack(bob, redactRoomId);
      expect(evil.backfillPdus.get(redactRoomId)!.length).toBe(2);
      const original = events.find((e) => e.event_id === originalId);
      expect(original?.type).toBe('m.room.message');
      expect(original.content).toEqual({});
      expect(events.some((e) => e.type === 'm.room.redaction' && e.content.redacts === originalId)).toBe(true);
    }, 120_000);

    it('after alpha restarts, paging back fills in the rest', async () => {
      await alpha.restart();
      const { events } = await pageBack(bob, roomId);
      expect(messageBodies(events)).toEqual(bodies);
      expect(events.at(-1).type).toBe('m.room.create');
      expect(await roomName(roomId)).toBe('down: Second');
    }, 180_000);
  });
});
