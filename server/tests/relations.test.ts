// Relations over real HTTP: /relations (filters, both directions, pages, recursion, visibility, redacted children),
// /threads (latest activity first, participated, pages) and bundled aggregations (m.thread, m.replace, m.reference)
// in /event, /messages, /context and /sync; then matrix-js-sdk's relations() and thread list against it.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, Direction, FeatureSupport, Thread, ThreadFilterType } from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger';
import type { Logger as LogLevelLogger } from 'loglevel';
import type { RunningHomeserver } from '../testing/spawn';
import { expectOk as ok, serverWithUsers } from '../testing/one-server';
import { enc, type TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
// The SDK logs every request at info level; the test output should show results.
(logger as unknown as LogLevelLogger).setLevel('silent');

const SERVER = 'alpha.localhost:20800';
const RELATIONS_SPEC = '/rooms/{roomId}/relations/{eventId}';
const fixture = serverWithUsers(SERVER, ['alice', 'bob', 'carol']);
let server: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let carol: TestClient;
beforeAll(() => ({ server, alice, bob, carol } = fixture));

let txn = 0;
const sendEvent = async (client: TestClient, roomId: string, type: string, content: object) =>
  ok(await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/r${txn++}`, content)).event_id as string;
const say = (client: TestClient, roomId: string, body: string, relatesTo?: object) =>
  sendEvent(client, roomId, 'm.room.message', { msgtype: 'm.text', body, ...(relatesTo ? { 'm.relates_to': relatesTo } : {}) });
const edit = (client: TestClient, roomId: string, original: string, body: string) =>
  say(client, roomId, `* ${body}`, { rel_type: 'm.replace', event_id: original });
const editWithNewContent = (client: TestClient, roomId: string, original: string, body: string) =>
  sendEvent(client, roomId, 'm.room.message', {
    msgtype: 'm.text',
    body: `* ${body}`,
    'm.new_content': { msgtype: 'm.text', body },
    'm.relates_to': { rel_type: 'm.replace', event_id: original },
  });
const react = (client: TestClient, roomId: string, target: string, key: string) =>
  sendEvent(client, roomId, 'm.reaction', { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key } });
const reply = (client: TestClient, roomId: string, root: string, body: string) =>
  say(client, roomId, body, { rel_type: 'm.thread', event_id: root });
const redact = async (client: TestClient, roomId: string, eventId: string) =>
  ok(await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eventId)}/x${txn++}`, { reason: 'test' }));
const newRoom = async (preset = 'public_chat') => ok(await alice.post('/_matrix/client/v3/createRoom', { preset })).room_id as string;
const join = async (client: TestClient, roomId: string) => ok(await client.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
const getEvent = async (client: TestClient, roomId: string, eventId: string) =>
  ok(await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`));

async function relations(client: TestClient, roomId: string, eventId: string, rest = '', query = '') {
  const body = ok(await client.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(eventId)}${rest}${query ? `?${query}` : ''}`));
  const specPath =
    rest === '' ? RELATIONS_SPEC : rest.split('/').length === 2 ? `${RELATIONS_SPEC}/{relType}` : `${RELATIONS_SPEC}/{relType}/{eventType}`;
  assertMatchesSpec(specPath, 'get', 200, body);
  return body;
}

async function threads(client: TestClient, roomId: string, query = '') {
  const body = ok(await client.get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads${query ? `?${query}` : ''}`));
  assertMatchesSpec('/rooms/{roomId}/threads', 'get', 200, body);
  return body;
}

/** Every page of a listing, following next_batch. */
async function allPages(fetchPage: (from?: string) => Promise<any>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let from: string | undefined;
  for (let pages = 1; pages < 50; pages++) {
    const page = await fetchPage(from);
    ids.push(...page.chunk.map((e: any) => e.event_id));
    if (!page.next_batch) return { ids, pages };
    from = page.next_batch;
  }
  throw new Error('pagination did not end');
}

/** The edit the spec's rule picks: greatest origin_server_ts, then greatest event ID. */
async function expectedLatest(roomId: string, ids: string[]): Promise<string> {
  const events = await Promise.all(ids.map((id) => getEvent(alice, roomId, id)));
  events.sort((a, b) => a.origin_server_ts - b.origin_server_ts || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  return events.at(-1).event_id;
}

describe('edits: m.replace bundles', () => {
  let roomId: string;
  let original: string;
  let edits: string[];

  beforeAll(async () => {
    roomId = await newRoom();
    await join(bob, roomId);
    original = await say(alice, roomId, 'first draft');
    edits = [await editWithNewContent(alice, roomId, original, 'second'), await editWithNewContent(alice, roomId, original, 'third')];
    // Another user's "edit" and an edit without m.new_content are not valid replacements.
    await editWithNewContent(bob, roomId, original, 'hijacked');
    await edit(alice, roomId, original, 'no new content');
  });

  it('/event bundles the latest valid edit by the original sender, in full', async () => {
    const event = await getEvent(alice, roomId, original);
    const replace = event.unsigned['m.relations']['m.replace'];
    expect(replace.event_id).toBe(await expectedLatest(roomId, edits));
    expect(replace.sender).toBe(alice.userId);
    expect(replace.content['m.new_content'].body).toMatch(/^(second|third)$/);
    // Bob sees the same bundle: his own edit is ignored for him too.
    expect((await getEvent(bob, roomId, original)).unsigned['m.relations']['m.replace'].event_id).toBe(replace.event_id);
  });

  it('/messages, /context and /sync timelines carry the bundle', async () => {
    const latest = await expectedLatest(roomId, edits);
    const messages = ok(await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`));
    expect(messages.chunk.find((e: any) => e.event_id === original).unsigned['m.relations']['m.replace'].event_id).toBe(latest);
    const context = ok(await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(original)}?limit=4`));
    expect(context.event.unsigned['m.relations']['m.replace'].event_id).toBe(latest);
    const filter = JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 50 } } });
    const sync = ok(await alice.get(`/_matrix/client/v3/sync?filter=${enc(filter)}`));
    const inSync = sync.rooms.join[roomId].timeline.events.find((e: any) => e.event_id === original);
    expect(inSync.unsigned['m.relations']['m.replace'].event_id).toBe(latest);
  });

  it('redacting the latest edit falls back to the other; a redacted original has no aggregations', async () => {
    const latest = await expectedLatest(roomId, edits);
    await redact(alice, roomId, latest);
    const other = edits.find((id) => id !== latest)!;
    expect((await getEvent(alice, roomId, original)).unsigned['m.relations']['m.replace'].event_id).toBe(other);
    await redact(alice, roomId, other);
    expect((await getEvent(alice, roomId, original)).unsigned['m.relations']).toBeUndefined();

    const second = await say(alice, roomId, 'to be removed');
    await editWithNewContent(alice, roomId, second, 'edited');
    expect((await getEvent(alice, roomId, second)).unsigned['m.relations']['m.replace']).toBeDefined();
    await redact(alice, roomId, second);
    expect((await getEvent(alice, roomId, second)).unsigned['m.relations']).toBeUndefined();
  });
});

describe('/relations', () => {
  let roomId: string;
  let root: string;
  const reactions: string[] = [];
  let reference: string;

  beforeAll(async () => {
    roomId = await newRoom();
    await join(bob, roomId);
    root = await say(alice, roomId, 'root');
    for (let i = 0; i < 7; i++) reactions.push(await react(i % 2 ? bob : alice, roomId, root, `k${i}`));
    reference = await sendEvent(bob, roomId, 'm.room.message', {
      msgtype: 'm.text',
      body: 'see above',
      'm.relates_to': { rel_type: 'm.reference', event_id: root },
    });
    await say(alice, roomId, 'unrelated');
  });

  it('lists all children newest first, and filters by rel type and event type', async () => {
    const all = await relations(alice, roomId, root, '', 'limit=50');
    expect(all.chunk.map((e: any) => e.event_id)).toEqual([reference, ...[...reactions].reverse()]);
    expect(all.next_batch).toBeUndefined();
    expect(all.recursion_depth).toBeUndefined();
    const annotations = await relations(alice, roomId, root, '/m.annotation', 'limit=50');
    expect(annotations.chunk.map((e: any) => e.event_id)).toEqual([...reactions].reverse());
    const byType = await relations(alice, roomId, root, '/m.reference/m.room.message');
    expect(byType.chunk.map((e: any) => e.event_id)).toEqual([reference]);
    expect((await relations(alice, roomId, root, '/m.reference/m.reaction')).chunk).toEqual([]);
  });

  it('pages backwards and forwards with next_batch, prev_batch and to', async () => {
    const back = await allPages((from) => relations(alice, roomId, root, '/m.annotation', `limit=3${from ? `&from=${from}` : ''}`));
    expect(back).toEqual({ ids: [...reactions].reverse(), pages: 3 });
    const forward = await allPages((from) =>
      relations(alice, roomId, root, '/m.annotation', `dir=f&limit=3${from ? `&from=${from}` : ''}`),
    );
    expect(forward).toEqual({ ids: reactions, pages: 3 });

    const first = await relations(alice, roomId, root, '/m.annotation', 'limit=3');
    expect(first.prev_batch).toBeUndefined();
    const second = await relations(alice, roomId, root, '/m.annotation', `limit=3&from=${first.next_batch}`);
    expect(second.prev_batch).toBe(first.next_batch);
    const third = await relations(alice, roomId, root, '/m.annotation', `limit=3&from=${second.next_batch}`);
    // `to` stops at a later page's start: from page 1's end up to page 2's end is exactly page 2.
    const range = await relations(alice, roomId, root, '/m.annotation', `limit=50&from=${first.next_batch}&to=${second.next_batch}`);
    expect(range.chunk.map((e: any) => e.event_id)).toEqual(second.chunk.map((e: any) => e.event_id));
    expect(third.chunk.map((e: any) => e.event_id)).toEqual([reactions[0]]);
  });

  it('recurse follows children of children up to depth 3 and says so', async () => {
    const threadRoot = await say(alice, roomId, 'thread root');
    const inThread = await reply(bob, roomId, threadRoot, 'in thread');
    const editOfReply = await editWithNewContent(bob, roomId, inThread, 'in thread (edited)');
    const reactionToEdit = await react(alice, roomId, editOfReply, '👍');
    const tooDeep = await react(bob, roomId, reactionToEdit, 'deep');
    const direct = await relations(alice, roomId, threadRoot, '', 'recurse=false');
    expect(direct.chunk.map((e: any) => e.event_id)).toEqual([inThread]);
    expect(direct.recursion_depth).toBe(1);
    const deep = await relations(alice, roomId, threadRoot, '', 'recurse=true');
    expect(deep.chunk.map((e: any) => e.event_id)).toEqual([reactionToEdit, editOfReply, inThread]);
    expect(deep.chunk.map((e: any) => e.event_id)).not.toContain(tooDeep);
    expect(deep.recursion_depth).toBe(3);
    const deepAnnotations = await relations(alice, roomId, threadRoot, '/m.annotation', 'recurse=true');
    expect(deepAnnotations.chunk.map((e: any) => e.event_id)).toEqual([reactionToEdit]);
  });

  it('keeps a redacted child listed, redacted', async () => {
    await redact(bob, roomId, reactions[1]!);
    const all = await relations(alice, roomId, root, '/m.annotation', 'limit=50');
    const redacted = all.chunk.find((e: any) => e.event_id === reactions[1]);
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned.redacted_because.type).toBe('m.room.redaction');
  });

  it('bundles m.reference as a chunk of event IDs', async () => {
    const event = await getEvent(alice, roomId, root);
    expect(event.unsigned['m.relations']['m.reference']).toEqual({ chunk: [{ event_id: reference }] });
  });

  it('answers bad input with typed errors and unknown parents with 404', async () => {
    const base = `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}`;
    for (const query of ['dir=x', 'limit=-1', 'limit=0', 'limit=abc', 'recurse=yes', 'from=garbage']) {
      const r = await alice.get(`${base}?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.errcode, query).toBe('M_INVALID_PARAM');
    }
    const missing = await alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc('$nope')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe('M_NOT_FOUND');
    expect((await carol.get(base)).status).toBe(403);
  });
});

describe('history visibility', () => {
  it('hides a parent from before the join (404) and children from after the leave', async () => {
    const roomId = await newRoom();
    ok(await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.history_visibility/`, { history_visibility: 'joined' }));
    const early = await say(alice, roomId, 'before carol');
    await react(alice, roomId, early, 'early');
    await join(carol, roomId);
    const root = await say(alice, roomId, 'carol sees this');
    const seen = await reply(alice, roomId, root, 'while carol is here');
    ok(await carol.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {}));
    const unseen = await reply(alice, roomId, root, 'after carol left');

    const hidden = await carol.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(early)}`);
    expect(hidden.status).toBe(404);
    expect((await relations(carol, roomId, root)).chunk.map((e: any) => e.event_id)).toEqual([seen]);
    expect((await relations(alice, roomId, root)).chunk.map((e: any) => e.event_id)).toEqual([unseen, seen]);
    // The bundle counts only what each reader may see.
    const forCarol = (await getEvent(carol, roomId, root)).unsigned['m.relations']['m.thread'];
    expect(forCarol).toMatchObject({ count: 1, current_user_participated: false });
    expect(forCarol.latest_event.event_id).toBe(seen);
    const forAlice = (await getEvent(alice, roomId, root)).unsigned['m.relations']['m.thread'];
    expect(forAlice).toMatchObject({ count: 2, current_user_participated: true });
    expect(forAlice.latest_event.event_id).toBe(unseen);
    const carolThreads = await threads(carol, roomId);
    expect(carolThreads.chunk.map((e: any) => e.event_id)).toEqual([root]);
    expect(carolThreads.chunk[0].unsigned['m.relations']['m.thread'].count).toBe(1);
  });
});

describe('/threads', () => {
  let roomId: string;
  const roots: Record<string, string> = {};

  beforeAll(async () => {
    roomId = await newRoom();
    await join(bob, roomId);
    for (const name of ['A', 'B', 'C', 'D']) roots[name] = await say(name === 'C' ? bob : alice, roomId, `root ${name}`);
    await say(alice, roomId, 'not a thread');
    await reply(alice, roomId, roots.A!, 'A1');
    await reply(bob, roomId, roots.B!, 'B1');
    await reply(alice, roomId, roots.C!, 'C1');
    await reply(alice, roomId, roots.D!, 'D1');
    // A is the most recently active thread now.
    await reply(alice, roomId, roots.A!, 'A2');
  });

  it('lists roots by latest activity with their m.thread bundle', async () => {
    const page = await threads(alice, roomId);
    expect(page.chunk.map((e: any) => e.content.body)).toEqual(['root A', 'root D', 'root C', 'root B']);
    expect(page.next_batch).toBeUndefined();
    const a = page.chunk[0].unsigned['m.relations']['m.thread'];
    expect(a).toMatchObject({ count: 2, current_user_participated: true });
    expect(a.latest_event.content.body).toBe('A2');
  });

  it('include=participated keeps the threads the caller rooted or replied in', async () => {
    const page = await threads(bob, roomId, 'include=participated');
    expect(page.chunk.map((e: any) => e.content.body)).toEqual(['root C', 'root B']);
    for (const root of page.chunk) expect(root.unsigned['m.relations']['m.thread'].current_user_participated).toBe(true);
    expect((await threads(bob, roomId, 'include=all')).chunk).toHaveLength(4);
    expect((await bob.get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads?include=some`)).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('pages with from/limit, and a new reply moves a thread to the front', async () => {
    const { ids, pages } = await allPages((from) => threads(alice, roomId, `limit=1${from ? `&from=${from}` : ''}`));
    expect(ids).toEqual([roots.A, roots.D, roots.C, roots.B]);
    expect(pages).toBe(4);
    await reply(bob, roomId, roots.B!, 'B2');
    expect((await threads(alice, roomId, 'limit=2')).chunk.map((e: any) => e.event_id)).toEqual([roots.B, roots.A]);
  });
});

describe('matrix-js-sdk', () => {
  it('relations() and the thread list read this server', async () => {
    const roomId = await newRoom();
    const root = await say(alice, roomId, 'sdk root');
    const r1 = await reply(alice, roomId, root, 'sdk reply 1');
    const r2 = await reply(alice, roomId, root, 'sdk reply 2');
    const client = createClient({
      baseUrl: server.baseUrl,
      accessToken: alice.accessToken!,
      userId: alice.userId!,
      deviceId: alice.deviceId!,
    });
    const support = await client.doesServerSupportThread();
    expect(support.list).toBe(FeatureSupport.Stable);
    Thread.setServerSideListSupport(support.list);

    const first = await client.relations(roomId, root, 'm.thread', null, { dir: Direction.Backward, limit: 1 });
    expect(first.originalEvent?.getId()).toBe(root);
    expect(first.events.map((e) => e.getId())).toEqual([r2]);
    expect(first.nextBatch).toBeTruthy();
    const second = await client.relations(roomId, root, 'm.thread', null, { dir: Direction.Backward, limit: 1, from: first.nextBatch! });
    expect(second.events.map((e) => e.getId())).toEqual([r1]);
    expect(second.nextBatch).toBeNull();

    const list = await client.createThreadListMessagesRequest(roomId, null, 10, Direction.Backward, ThreadFilterType.All);
    expect(list.chunk.map((e) => e.event_id)).toEqual([root]);
    const bundle = (list.chunk[0]!.unsigned as any)['m.relations']['m.thread'];
    expect(bundle.count).toBe(2);
    expect(bundle.latest_event.event_id).toBe(r2);
    client.stopClient();
  });
});
