// Push rules: the evaluator over the spec's default rules (mentions, @room, notices, edits, muted rooms,
// user changes), its condition kinds one by one, and over HTTP the unread and highlight counts in /sync.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultPushRules } from '../client-api/pushrules';
import {
  conditionMatches,
  evaluatePushRules,
  globToRegExpSource,
  splitKey,
  type PushContext,
  type PushEvent,
  type PushRuleset,
} from '../push/evaluator';
import { deleteUserRule, effectiveRuleset, putUserRule } from '../push/ruleset';
import { MatrixError } from '../http/errors';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { say, startServers, user, waitFor } from '../testing/federation-harness';
import { enc, TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const ME = '@alice:alpha.localhost';
const ROOM = '!room:alpha.localhost';
const defaults = (): PushRuleset => defaultPushRules(ME, 'alice') as PushRuleset;

const message = (body: string, extra: Record<string, unknown> = {}): PushEvent => ({
  type: 'm.room.message',
  sender: '@bob:alpha.localhost',
  room_id: ROOM,
  event_id: '$e',
  content: { msgtype: 'm.text', body, ...extra },
});

const group: PushContext = { userId: ME, displayName: 'Alice Liddell', memberCount: 5, senderPowerLevel: 0 };
const evaluate = (event: PushEvent, context: Partial<PushContext> = {}, rules = defaults()) =>
  evaluatePushRules(rules, event, { ...group, ...context });

describe('default rules', () => {
  it('a plain message in a group notifies without highlight; in a 1:1 room it also sounds', () => {
    expect(evaluate(message('lunch?'))).toEqual({ notify: true, highlight: false, ruleId: '.m.rule.message' });
    expect(evaluate(message('lunch?'), { memberCount: 2 })).toEqual({
      notify: true,
      highlight: false,
      sound: 'default',
      ruleId: '.m.rule.room_one_to_one',
    });
  });

  it('a mention of the display name highlights, on word boundaries and in any case', () => {
    expect(evaluate(message('hey alice liddell, look')).highlight).toBe(true);
    expect(evaluate(message('hey alice liddell, look')).ruleId).toBe('.m.rule.contains_display_name');
    expect(evaluate(message('ALICE LIDDELL!')).highlight).toBe(true);
    expect(evaluate(message('the Liddells'), { displayName: 'Liddell' }).highlight).toBe(false);
    expect(evaluate(message('ask Liddell.'), { displayName: 'Liddell' }).highlight).toBe(true);
    expect(evaluate(message('hey Liddell'), { displayName: '' }).highlight).toBe(false);
    // A display name with regex metacharacters is literal text.
    expect(evaluate(message('ping (a+b)'), { displayName: '(a+b)' }).highlight).toBe(true);
    expect(evaluate(message('ping aab'), { displayName: '(a+b)' }).highlight).toBe(false);
  });

  it('the localpart on word boundaries highlights (.m.rule.contains_user_name), inside a word it does not', () => {
    expect(evaluate(message('ask alice'), { displayName: undefined })).toMatchObject({
      highlight: true,
      ruleId: '.m.rule.contains_user_name',
    });
    expect(evaluate(message('malice aforethought'), { displayName: undefined })).toMatchObject({ notify: true, highlight: false });
  });

  it('m.mentions.user_ids with the user highlights; with m.mentions present the legacy text rules are off', () => {
    expect(evaluate(message('hi', { 'm.mentions': { user_ids: [ME] } }))).toMatchObject({
      notify: true,
      highlight: true,
      ruleId: '.m.rule.is_user_mention',
    });
    expect(evaluate(message('hi', { 'm.mentions': { user_ids: ['@alice:elsewhere'] } }))).toMatchObject({ notify: true, highlight: false });
    expect(evaluate(message('Alice Liddell and alice', { 'm.mentions': {} }))).toMatchObject({
      notify: true,
      highlight: false,
      ruleId: '.m.rule.message',
    });
  });

  it('@room highlights only when the sender has the notifications.room power level', () => {
    expect(evaluate(message('@room lunch'), { senderPowerLevel: 50 })).toMatchObject({ highlight: true, ruleId: '.m.rule.roomnotif' });
    expect(evaluate(message('@room lunch'), { senderPowerLevel: 49 })).toMatchObject({ notify: true, highlight: false });
    const roomMention = message('lunch', { 'm.mentions': { room: true } });
    expect(evaluate(roomMention, { senderPowerLevel: 100 })).toMatchObject({ highlight: true, ruleId: '.m.rule.is_room_mention' });
    expect(evaluate(roomMention, { senderPowerLevel: 50, notificationLevels: { room: 100 } })).toMatchObject({ highlight: false });
    expect(evaluate(roomMention, { senderPowerLevel: Infinity, notificationLevels: { room: 100 } }).highlight).toBe(true);
  });

  it('notices, edits, reactions and member events count nothing; a tombstone highlights', () => {
    expect(evaluate(message('Alice Liddell', { msgtype: 'm.notice' })).notify).toBe(false);
    expect(evaluate(message('* fixed', { 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } })).notify).toBe(false);
    expect(evaluate({ ...message(''), type: 'm.reaction', content: {} }).notify).toBe(false);
    expect(
      evaluate({ ...message(''), type: 'm.room.member', state_key: '@bob:alpha.localhost', content: { membership: 'join' } }).notify,
    ).toBe(false);
    expect(evaluate({ ...message(''), type: 'm.room.tombstone', state_key: '', content: { replacement_room: '!new' } })).toMatchObject({
      notify: true,
      highlight: true,
    });
  });

  it('an invite for the user notifies; state changes and unknown types do not', () => {
    const invite = { ...message(''), type: 'm.room.member', state_key: ME, content: { membership: 'invite' } };
    expect(evaluate(invite)).toMatchObject({ notify: true, highlight: false, ruleId: '.m.rule.invite_for_me' });
    expect(evaluate({ ...message(''), type: 'm.room.topic', state_key: '', content: { topic: 'Alice Liddell' } }).notify).toBe(false);
    expect(evaluate({ ...message(''), type: 'org.example.custom', content: {} }).notify).toBe(false);
  });
});

describe("the user's changes", () => {
  it('a muted room (override rule with dont_notify) counts nothing, not even a mention', () => {
    const muted = putUserRule(defaults(), 'override', ROOM, {
      conditions: [{ kind: 'event_match', key: 'room_id', pattern: ROOM }],
      actions: ['dont_notify'],
    });
    expect(evaluate(message('hi Alice Liddell', { 'm.mentions': { user_ids: [ME] } }), {}, muted)).toEqual({
      notify: false,
      highlight: false,
      ruleId: ROOM,
    });
    expect(evaluate({ ...message('hi'), room_id: '!other:alpha.localhost' }, {}, muted).notify).toBe(true);
    // The rule sits after .m.rule.master and before every server-default override.
    expect(muted.global.override!.map((r) => r.rule_id).slice(0, 3)).toEqual(['.m.rule.master', ROOM, '.m.rule.suppress_notices']);
  });

  it('a room rule with no actions (mentions only) silences plain messages but not mentions', () => {
    const mentionsOnly = putUserRule(defaults(), 'room', ROOM, { actions: [] });
    expect(evaluate(message('lunch?'), {}, mentionsOnly).notify).toBe(false);
    expect(evaluate(message('lunch, Alice Liddell?'), {}, mentionsOnly).highlight).toBe(true);
  });

  it('enabled: false turns a default rule off; enabling .m.rule.master silences everything', () => {
    const stored = defaults();
    stored.global.underride!.find((r) => r.rule_id === '.m.rule.message')!.enabled = false;
    const rules = effectiveRuleset(defaults(), stored);
    expect(evaluate(message('lunch?'), {}, rules).notify).toBe(false);
    expect(evaluate(message('lunch?'), { memberCount: 2 }, rules).notify).toBe(true);
    const master = defaults();
    master.global.override![0]!.enabled = true;
    expect(
      evaluate(message('hi Alice Liddell', { 'm.mentions': { user_ids: [ME] } }), {}, effectiveRuleset(defaults(), master)).notify,
    ).toBe(false);
  });

  it('changed actions on a default rule are honoured, and stored rulesets gain rules added to the defaults later', () => {
    const stored = defaults();
    stored.global.override = stored.global.override!.filter((r) => r.rule_id !== '.m.rule.contains_display_name');
    stored.global.underride!.find((r) => r.rule_id === '.m.rule.message')!.actions = ['notify', { set_tweak: 'highlight' }];
    const rules = effectiveRuleset(defaults(), stored);
    expect(evaluate(message('lunch?'), {}, rules)).toMatchObject({ notify: true, highlight: true });
    expect(rules.global.override!.some((r) => r.rule_id === '.m.rule.contains_display_name')).toBe(true);
  });

  it('a sender rule matches on the sender; a user content rule matches its glob on words', () => {
    const rules = putUserRule(putUserRule(defaults(), 'sender', '@bob:alpha.localhost', { actions: [] }), 'content', 'cake', {
      pattern: 'cake*lie',
      actions: ['notify', { set_tweak: 'highlight', value: true }],
    });
    expect(evaluate(message('the cake is a lie'), {}, rules)).toMatchObject({ highlight: true, ruleId: 'cake' });
    expect(evaluate(message('lunch?'), {}, rules)).toMatchObject({ notify: false, ruleId: '@bob:alpha.localhost' });
  });

  it('before/after place a rule among the user rules; bad rules get typed errors', () => {
    let rules = putUserRule(defaults(), 'override', 'a', { actions: [] });
    rules = putUserRule(rules, 'override', 'b', { actions: [] }, { after: 'a' });
    rules = putUserRule(rules, 'override', 'c', { actions: [] }, { before: 'a' });
    expect(rules.global.override!.map((r) => r.rule_id).slice(0, 4)).toEqual(['.m.rule.master', 'c', 'a', 'b']);
    rules = deleteUserRule(rules, 'override', 'a');
    expect(rules.global.override!.map((r) => r.rule_id).slice(0, 3)).toEqual(['.m.rule.master', 'c', 'b']);
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(MatrixError);
        return (error as MatrixError).errcode;
      }
      throw new Error('expected a MatrixError');
    };
    expect(refused(() => putUserRule(rules, 'override', '.m.rule.mine', { actions: [] }))).toBe('M_INVALID_PARAM');
    expect(refused(() => putUserRule(rules, 'override', 'x/y', { actions: [] }))).toBe('M_INVALID_PARAM');
    expect(refused(() => putUserRule(rules, 'nonsense', 'x', { actions: [] }))).toBe('M_INVALID_PARAM');
    expect(refused(() => putUserRule(rules, 'override', 'x', { actions: 'notify' }))).toBe('M_BAD_JSON');
    expect(refused(() => putUserRule(rules, 'override', 'x', { actions: [], conditions: [{}] }))).toBe('M_BAD_JSON');
    expect(refused(() => putUserRule(rules, 'content', 'x', { actions: [] }))).toBe('M_BAD_JSON');
    expect(refused(() => putUserRule(rules, 'override', 'x', { actions: [] }, { before: '.m.rule.master' }))).toBe('M_UNKNOWN');
    expect(refused(() => deleteUserRule(rules, 'override', '.m.rule.master'))).toBe('M_INVALID_PARAM');
    expect(refused(() => deleteUserRule(rules, 'override', 'gone'))).toBe('M_NOT_FOUND');
  });
});

describe('conditions', () => {
  const topic = (value: unknown): PushEvent => ({ type: 'm.room.topic', sender: '@bob:x', state_key: '', content: { topic: value } });
  const match = (condition: Record<string, unknown>, event: PushEvent, context: Partial<PushContext> = {}) =>
    conditionMatches({ kind: 'event_match', ...condition }, event, { ...group, ...context });

  it('event_match: case-insensitive glob over the whole value (the spec examples)', () => {
    const lunch = { key: 'content.topic', pattern: 'lunc?*' };
    expect(match(lunch, topic('Lunch plans'))).toBe(true);
    expect(match(lunch, topic('LUNCH'))).toBe(true);
    expect(match(lunch, topic(' lunch'))).toBe(false);
    expect(match(lunch, topic('lunc'))).toBe(false);
    expect(match(lunch, topic(null))).toBe(false);
    expect(match({ key: 'content.topic', pattern: '*' }, topic(undefined))).toBe(false);
    expect(match({ key: 'content.topic', pattern: 'a.c' }, topic('abc'))).toBe(false);
  });

  it('event_match on content.body: any substring on word boundaries (the spec examples)', () => {
    const example = { key: 'content.body', pattern: 'ex*ple' };
    expect(match(example, message('An example event.'))).toBe(true);
    expect(match(example, message('exple'))).toBe(true);
    expect(match(example, message('An exciting triple-whammy'))).toBe(true);
    expect(match(example, message('examples'))).toBe(false);
    expect(match({ key: 'content.body', pattern: 'cake' }, message('pancake'))).toBe(false);
    expect(match({ key: 'content.body', pattern: 'cake' }, message('(cake)'))).toBe(true);
  });

  it('event_property_is and event_property_contains match exactly, without casting; keys escape dots', () => {
    const create: PushEvent = {
      type: 'm.room.create',
      sender: '@a:x',
      state_key: '',
      content: { 'm.federate': true, alt_aliases: ['#a:x', '#myroom:example.com', 7] },
    };
    const is = (key: string, value: unknown) => conditionMatches({ kind: 'event_property_is', key, value }, create, group);
    const contains = (key: string, value: unknown) => conditionMatches({ kind: 'event_property_contains', key, value }, create, group);
    expect(is('content.m\\.federate', true)).toBe(true);
    expect(is('content.m\\.federate', 'true')).toBe(false);
    expect(is('content.m\\.federate', 1)).toBe(false);
    expect(is('content.m.federate', true)).toBe(false);
    expect(is('content.alt_aliases', null)).toBe(false);
    expect(contains('content.alt_aliases', '#myroom:example.com')).toBe(true);
    expect(contains('content.alt_aliases', ':example.com')).toBe(false);
    expect(contains('content.alt_aliases', 7)).toBe(true);
    expect(contains('content.m\\.federate', true)).toBe(false);
    expect(splitKey('content.m\\.relates_to.rel_type')).toEqual(['content', 'm.relates_to', 'rel_type']);
    expect(splitKey('a\\\\.b')).toEqual(['a\\', 'b']);
  });

  it('room_member_count takes ==, <, >, <=, >= (== by default); malformed bounds never match', () => {
    const count = (is: unknown, memberCount: number) =>
      conditionMatches({ kind: 'room_member_count', is }, message(''), { ...group, memberCount });
    expect(count('2', 2)).toBe(true);
    expect(count('==2', 3)).toBe(false);
    expect(count('<3', 2)).toBe(true);
    expect(count('>3', 3)).toBe(false);
    expect(count('>=3', 3)).toBe(true);
    expect(count('<=1', 2)).toBe(false);
    expect(count('two', 2)).toBe(false);
    expect(count(2, 2)).toBe(false);
  });

  it('unknown condition kinds never match, so their rule never fires', () => {
    expect(conditionMatches({ kind: 'org.example.future' }, message('x'), group)).toBe(false);
    const rules = putUserRule(defaults(), 'override', 'future', { conditions: [{ kind: 'org.example.future' }], actions: [] });
    expect(evaluate(message('lunch?'), {}, rules).ruleId).toBe('.m.rule.message');
  });

  it('globs are literal apart from * and ?', () => {
    expect(new RegExp(`^${globToRegExpSource('a.b*[c]?')}$`, 'u').test('a.bxyz[c]!')).toBe(true);
    expect(new RegExp(`^${globToRegExpSource('a.b')}$`, 'u').test('axb')).toBe(false);
  });
});

describe('over HTTP', () => {
  const SERVER = 'alpha.localhost:19131';
  let server: RunningHomeserver;
  let alice: TestClient;
  let bob: TestClient;

  beforeAll(async () => {
    server = await startHomeserver({ serverName: SERVER });
    alice = await new TestClient(server.baseUrl).register('alice');
    bob = await new TestClient(server.baseUrl).register('bob');
  }, 60_000);
  afterAll(() => server?.dispose());

  const sync = async (client: TestClient) => {
    const reply = await client.get('/_matrix/client/v3/sync');
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    assertMatchesSpec('/sync', 'get', 200, reply.body);
    return reply.body;
  };
  const unread = async (client: TestClient, roomId: string) => (await sync(client)).rooms.join[roomId].unread_notifications;
  const send = async (client: TestClient, roomId: string, content: Record<string, unknown>) => {
    const reply = await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${Math.random()}`, content);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body.event_id as string;
  };
  const newRoom = async (version: string) => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      room_version: version,
      invite: [bob.userId],
      preset: 'private_chat',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId = created.body.room_id as string;
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
    return roomId;
  };

  for (const version of ['11', 'org.matrix.12.4430']) {
    it(`room version ${version}: a mention shows highlight_count 1 and notification_count 2, a read receipt resets both`, async () => {
      const roomId = await newRoom(version);
      expect(await unread(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
      await send(alice, roomId, { msgtype: 'm.text', body: 'morning' });
      const mention = await send(alice, roomId, { msgtype: 'm.text', body: 'bob: lunch?', 'm.mentions': { user_ids: [bob.userId] } });
      expect(await unread(bob, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
      // The sender's own messages count nothing for the sender.
      expect(await unread(alice, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
      // A notice notifies nobody.
      await send(alice, roomId, { msgtype: 'm.notice', body: 'bot says bob' });
      expect(await unread(bob, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });

      const receipt = await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(mention)}`, {});
      expect(receipt.status, JSON.stringify(receipt.body)).toBe(200);
      expect(await unread(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    });
  }

  for (const version of ['11', 'org.matrix.12.4430']) {
    it(`room version ${version}: a message you send reads everything before it; only what comes after counts`, async () => {
      const roomId = await newRoom(version);
      await send(alice, roomId, { msgtype: 'm.text', body: 'one' });
      const mention = await send(alice, roomId, { msgtype: 'm.text', body: 'bob: two', 'm.mentions': { user_ids: [bob.userId] } });
      expect(await unread(bob, roomId)).toEqual({ notification_count: 2, highlight_count: 1 });
      // Bob answers (from a client that sends no read receipt): his own message is the newest, nothing is unread.
      await send(bob, roomId, { msgtype: 'm.text', body: 'here' });
      expect(await unread(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
      expect(await unread(alice, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
      await send(alice, roomId, { msgtype: 'm.text', body: 'three' });
      expect(await unread(alice, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
      await send(alice, roomId, { msgtype: 'm.text', body: 'four' });
      expect(await unread(bob, roomId)).toEqual({ notification_count: 2, highlight_count: 0 });
      // Any event of his reads up to it, a reaction too (as Synapse counts).
      const reaction = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.reaction/r${Math.random()}`, {
        'm.relates_to': { rel_type: 'm.annotation', event_id: mention, key: '👍' },
      });
      expect(reaction.status, JSON.stringify(reaction.body)).toBe(200);
      expect(await unread(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    });
  }

  it('a room muted through /pushrules counts nothing until the rule is deleted', async () => {
    const roomId = await newRoom('11');
    const rulePath = `/_matrix/client/v3/pushrules/global/override/${enc(roomId)}`;
    const mute = await bob.put(rulePath, {
      conditions: [{ kind: 'event_match', key: 'room_id', pattern: roomId }],
      actions: ['dont_notify'],
    });
    expect(mute.status, JSON.stringify(mute.body)).toBe(200);
    const rule = await bob.get(rulePath);
    expect(rule.status).toBe(200);
    expect(rule.body).toMatchObject({ rule_id: roomId, enabled: true, default: false, actions: ['dont_notify'] });

    await send(alice, roomId, { msgtype: 'm.text', body: 'bob, are you there?', 'm.mentions': { user_ids: [bob.userId] } });
    expect(await unread(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });

    // Disabled, the rule no longer applies; deleted, it is gone.
    expect((await bob.put(`${rulePath}/enabled`, { enabled: false })).status).toBe(200);
    await send(alice, roomId, { msgtype: 'm.text', body: 'hello' });
    expect(await unread(bob, roomId)).toEqual({ notification_count: 1, highlight_count: 0 });
    expect((await bob.request('DELETE', rulePath)).status).toBe(200);
    expect((await bob.get(rulePath)).status).toBe(404);
    expect((await bob.request('DELETE', rulePath)).status).toBe(404);

    const reserved = await bob.put('/_matrix/client/v3/pushrules/global/override/.m.rule.mine', { actions: [] });
    expect(reserved.status).toBe(400);
    expect(reserved.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('a display-name mention highlights in a member-key room', async () => {
    const roomId = await newRoom('org.matrix.12.4430');
    const profile = await bob.put(`/_matrix/client/v3/profile/${enc(bob.userId!)}/displayname`, { displayname: 'Robert Tables' });
    expect(profile.status, JSON.stringify(profile.body)).toBe(200);
    await send(alice, roomId, { msgtype: 'm.text', body: 'ask robert tables' });
    expect(await unread(bob, roomId)).toEqual({ notification_count: 1, highlight_count: 1 });
  });
});

describe('over federation', () => {
  let alpha: RunningHomeserver;
  let beta: RunningHomeserver;
  let alice: TestClient;
  let bob: TestClient;

  beforeAll(async () => {
    [alpha, beta] = await startServers(['alpha.localhost:19132', 'beta.localhost:19133']);
    [alice, bob] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
  });

  const unread = async (client: TestClient, roomId: string) =>
    (await client.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.join?.[roomId]?.unread_notifications as
      | { notification_count: number; highlight_count: number }
      | undefined;

  for (const version of ['11', 'org.matrix.12.4430']) {
    it(`room version ${version}: events from another server count by the receiving user's rules`, async () => {
      const roomId = (await alice.post('/_matrix/client/v3/createRoom', { room_version: version, invite: [bob.userId] })).body
        .room_id as string;
      await waitFor('the invite on beta', async () => (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.invite?.[roomId]);
      const join = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
      expect(join.status, JSON.stringify(join.body)).toBe(200);

      await say(alice, roomId, 'hello beta');
      const mention = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/m${Math.random()}`, {
        msgtype: 'm.text',
        body: 'bob?',
        'm.mentions': { user_ids: [bob.userId] },
      });
      expect(mention.status).toBe(200);
      const onBeta = await waitFor('both messages counted on beta', async () => {
        const counts = await unread(bob, roomId);
        return counts && counts.notification_count >= 2 && counts;
      });
      expect(onBeta).toEqual({ notification_count: 2, highlight_count: 1 });

      // Bob's answer reaches alpha and counts for alice; it never counts for bob himself.
      await say(bob, roomId, 'here');
      const onAlpha = await waitFor('bob’s answer counted on alpha', async () => {
        const counts = await unread(alice, roomId);
        return counts && counts.notification_count >= 1 && counts;
      });
      expect(onAlpha).toEqual({ notification_count: 1, highlight_count: 0 });
      // And his answer read what came before it, on his own server.
      expect(await unread(bob, roomId)).toEqual({ notification_count: 0, highlight_count: 0 });
    });
  }
});
