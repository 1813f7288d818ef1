// The room view model over a real matrix-js-sdk client and Room fed in-memory events (no server): rows with senders
// resolved, updated one event at a time (unchanged rows keep their objects), identity changes touching only that
// identity's rows, back-pagination prepending, and the actions calling the client with the right arguments.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientEvent, createClient, EventType, MatrixEvent, PendingEventOrdering, Room, SyncState, type MatrixClient } from 'matrix-js-sdk';
import { createChatStore } from '../../state/chatStore';
import { createIdentityStore, type IdentityStore } from '../identity/identityStore';
import { uploadStore } from './imageUpload';
import { createRoomViewModel, grownFrom, type MessageRowData, type RoomRow, type RoomViewModel } from './roomViewModel';
import { MEMBER_KEYS_ROOM_VERSION } from '../../protocol';
import { firstUnreadRow } from './readMarker';

const ROOM = '!vm:x';
const me = '@carol:gamma';
const keyAlice = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const keyBob = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';
const users: Record<string, string> = { [keyAlice]: '@alice:alpha', [keyBob]: '@bob:beta' };
const noon = Date.UTC(2026, 2, 3, 12, 0, 0);
const minute = 60_000;

const stableIds = (key: string) => ({ 'org.matrix.msc4428.stable_id_state_key': `@${key}`, 'org.matrix.msc4428.stable_id': `@${key}` });

function member(key: string, name: string, ts = noon - 10 * minute) {
  const userId = users[key]!;
  const [localpart, domain] = userId.slice(1).split(':');
  return new MatrixEvent({
    type: 'm.room.member',
    event_id: `$member-${key}-${ts}`,
    room_id: ROOM,
    sender: userId,
    state_key: userId,
    origin_server_ts: ts,
    content: { membership: 'join', displayname: name, localpart, domain },
    unsigned: stableIds(key),
  });
}

let counter = 0;
function message(key: string, body: string, ts: number, content: Record<string, unknown> = {}) {
  counter++;
  return new MatrixEvent({
    type: 'm.room.message',
    event_id: `$e${counter}`,
    room_id: ROOM,
    sender: users[key]!,
    origin_server_ts: ts,
    content: { msgtype: 'm.text', body, ...content },
    unsigned: { 'org.matrix.msc4428.stable_id': `@${key}` },
  });
}

function relation(key: string, type: string, ts: number, content: Record<string, unknown>) {
  counter++;
  return new MatrixEvent({
    type,
    event_id: `$r${counter}`,
    room_id: ROOM,
    sender: users[key]!,
    origin_server_ts: ts,
    content,
    unsigned: { 'org.matrix.msc4428.stable_id': `@${key}` },
  });
}

const linkInfo = (key: string, status: 'verified' | 'unverified') => {
  const [localpart, domain] = users[key]!.slice(1).split(':');
  return {
    [`@${key}`]: {
      user_id: users[key],
      'dev.wayfarer.link': { status, localpart, domain, checked_ts: 1, ...(status === 'unverified' ? { reason: 'not co-signed' } : {}) },
    },
  };
};

const messages = (rows: readonly RoomRow[]) => rows.filter((r): r is MessageRowData => r.kind === 'message');
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('room view model', () => {
  let client: MatrixClient;
  let room: Room;
  let identity: IdentityStore;
  let chat: ReturnType<typeof createChatStore>;
  let vm: RoomViewModel;
  let first: MatrixEvent;
  let second: MatrixEvent;
  let third: MatrixEvent;

  const live = (...events: MatrixEvent[]) => room.addLiveEvents(events, { addToState: true });

  /** What the homeserver answers the requests the view model makes itself (the SDK's real HTTP layer in between). */
  let answer: (url: URL) => Response;
  let requests: string[];

  beforeEach(async () => {
    answer = () => Response.json({ errcode: 'M_UNKNOWN', error: 'no server in this test' }, { status: 500 });
    requests = [];
    client = createClient({
      baseUrl: 'http://hs.invalid',
      userId: me,
      accessToken: 'token',
      fetchFn: async (input: RequestInfo | URL) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        requests.push(decodeURIComponent(url.pathname));
        return answer(url);
      },
    });
    room = new Room(ROOM, client, me, { pendingEventOrdering: PendingEventOrdering.Detached });
    client.store.storeRoom(room);
    room.currentState.setStateEvents([
      member(keyAlice, 'Alice'),
      member(keyBob, 'Bob'),
      new MatrixEvent({
        type: 'm.room.member',
        event_id: '$me',
        room_id: ROOM,
        sender: me,
        state_key: me,
        origin_server_ts: 1,
        content: { membership: 'join', displayname: 'Carol' },
      }),
    ]);
    first = message(keyAlice, 'one', noon);
    second = message(keyBob, 'two', noon + minute);
    third = message(keyAlice, 'three', noon + 2 * minute);
    await room.addLiveEvents([first, second, third], { addToState: false });
    identity = createIdentityStore();
    identity.getState().ingestMemberInfo(ROOM, { ...linkInfo(keyAlice, 'verified'), ...linkInfo(keyBob, 'verified') }, true);
    chat = createChatStore();
    vm = createRoomViewModel({ client, room, chat, identity });
  });

  afterEach(() => {
    vm.dispose();
    client.stopClient();
  });

  it('rows carry each sender already resolved (name, verified handle)', () => {
    const rows = messages(vm.getState().rows);
    expect(rows.map((r) => [r.content.body, r.profile.name, r.profile.handleLabel])).toEqual([
      ['one', 'Alice', '@alice:alpha'],
      ['two', 'Bob', '@bob:beta'],
      ['three', 'Alice', '@alice:alpha'],
    ]);
    expect(vm.getState().name).toBe(room.name);
  });

  it('a new event adds its one row; every other row object stays the same', async () => {
    const before = vm.getState().rows;
    await live(message(keyBob, 'four', noon + 3 * minute));
    const after = vm.getState().rows;
    expect(after).toHaveLength(before.length + 1);
    after.slice(0, before.length).forEach((row, i) => expect(row).toBe(before[i]));
    expect(after.at(-1)).toMatchObject({ kind: 'message', content: { body: 'four' }, startsGroup: true, profile: { name: 'Bob' } });
    // The same sender within five minutes continues the group.
    await live(message(keyBob, 'five', noon + 4 * minute));
    expect(vm.getState().rows.at(-1)).toMatchObject({ content: { body: 'five' }, startsGroup: false });
  });

  it('says when new rows only grew at the end (a list lays out just them), and not for any other change', async () => {
    const before = vm.getState().rows;
    expect(grownFrom(before)).toBeUndefined(); // the first rows of the room
    await live(message(keyBob, 'four', noon + 3 * minute));
    const grown = vm.getState().rows;
    expect(grownFrom(grown)).toBe(before);
    // An edit changes a row in place: not grown.
    await live(
      relation(keyBob, 'm.room.message', noon + 4 * minute, {
        'm.new_content': { msgtype: 'm.text', body: 'FOUR' },
        'm.relates_to': { rel_type: 'm.replace', event_id: grown.at(-1)!.kind === 'day' ? '' : (grown.at(-1) as MessageRowData).event.id },
        body: '* FOUR',
        msgtype: 'm.text',
      }),
    );
    expect(vm.getState().rows).not.toBe(grown);
    expect(grownFrom(vm.getState().rows)).toBeUndefined();
  });

  it('an edit, a reaction and a redaction each change only the row they apply to', async () => {
    const rowsOf = () => vm.getState().rows;
    const targetIndex = () => rowsOf().findIndex((r) => r.kind === 'message' && r.event.id === first.getId());
    const unchangedExceptTarget = (before: readonly RoomRow[]) => {
      const after = rowsOf();
      expect(after).toHaveLength(before.length);
      after.forEach((row, i) => (i === targetIndex() ? expect(row).not.toBe(before[i]) : expect(row).toBe(before[i])));
    };

    let before = rowsOf();
    await live(
      relation(keyAlice, 'm.room.message', noon + 5 * minute, {
        msgtype: 'm.text',
        body: '* one!',
        'm.new_content': { msgtype: 'm.text', body: 'one!' },
        'm.relates_to': { rel_type: 'm.replace', event_id: first.getId() },
      }),
    );
    unchangedExceptTarget(before);
    expect(rowsOf()[targetIndex()]).toMatchObject({ content: { body: 'one!' }, edited: true });

    before = rowsOf();
    const reaction = relation(keyBob, 'm.reaction', noon + 6 * minute, {
      'm.relates_to': { rel_type: 'm.annotation', event_id: first.getId(), key: '👍' },
    });
    await live(reaction);
    unchangedExceptTarget(before);
    expect((rowsOf()[targetIndex()] as MessageRowData).reactions).toEqual([
      { key: '👍', reactors: [expect.objectContaining({ identity: keyBob, eventId: reaction.getId() })] },
    ]);

    // Taking the reaction back (its redaction) empties the pills of that row only.
    before = rowsOf();
    await live(
      new MatrixEvent({
        type: 'm.room.redaction',
        event_id: '$undo',
        room_id: ROOM,
        sender: users[keyBob],
        redacts: reaction.getId(),
        origin_server_ts: noon + 7 * minute,
        content: { redacts: reaction.getId() },
      }),
    );
    unchangedExceptTarget(before);
    expect((rowsOf()[targetIndex()] as MessageRowData).reactions).toEqual([]);

    before = rowsOf();
    await live(
      new MatrixEvent({
        type: 'm.room.redaction',
        event_id: '$gone',
        room_id: ROOM,
        sender: users[keyAlice],
        redacts: first.getId(),
        origin_server_ts: noon + 8 * minute,
        content: { redacts: first.getId() },
      }),
    );
    unchangedExceptTarget(before);
    expect(rowsOf()[targetIndex()]).toMatchObject({ event: { redacted: true }, edited: false });
  });

  it('a reply quotes its target with the timeline’s profile of its sender (badge included), and follows the target’s edit', async () => {
    await live(message(keyBob, 'answer', noon + 3 * minute, { 'm.relates_to': { 'm.in_reply_to': { event_id: third.getId() } } }));
    const quoting = messages(vm.getState().rows).at(-1)!;
    expect(quoting.reply).toMatchObject({ kind: 'message', text: 'three', profile: { name: 'Alice', handleLabel: '@alice:alpha' } });
    const aliceRow = messages(vm.getState().rows).find((r) => r.event.id === third.getId())!;
    expect(quoting.reply?.kind === 'message' && quoting.reply.profile).toBe(aliceRow.profile);
    await live(
      relation(keyAlice, 'm.room.message', noon + 4 * minute, {
        msgtype: 'm.text',
        body: '* 3',
        'm.new_content': { msgtype: 'm.text', body: '3' },
        'm.relates_to': { rel_type: 'm.replace', event_id: third.getId() },
      }),
    );
    expect(vm.getState().rows.at(-1)).toMatchObject({ reply: { kind: 'message', profile: { name: 'Alice' }, text: '3' } });
    expect(requests).toEqual([]); // a loaded target is never fetched
  });

  it('a quote of a message not loaded is fetched; one our server soft-failed says hidden and why, and is fetched on request', async () => {
    const keyMallory = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbE';
    const malloryId = '@_unverified_bob_beta:gamma';
    room.currentState.setStateEvents([
      new MatrixEvent({
        type: 'm.room.member',
        event_id: '$member-mallory',
        room_id: ROOM,
        sender: malloryId,
        state_key: malloryId,
        origin_server_ts: noon - 5 * minute,
        content: { membership: 'join', displayname: 'Bob (really)', localpart: 'bob', domain: 'beta' },
        unsigned: stableIds(keyMallory),
      }),
    ]);
    identity.getState().ingestMemberInfo(
      ROOM,
      {
        [`@${keyMallory}`]: {
          user_id: null,
          'dev.wayfarer.link': { status: 'unverified', localpart: 'bob', domain: 'beta', checked_ts: 1, reason: 'not co-signed' },
        },
      },
      false,
    );
    const hidden = {
      event_id: '$hidden',
      room_id: ROOM,
      type: 'm.room.message',
      sender: malloryId,
      sender_key: keyMallory,
      origin_server_ts: noon + minute,
      content: { msgtype: 'm.text', body: 'it is bob, really' },
      unsigned: { 'org.matrix.msc4428.stable_id': `@${keyMallory}` },
    };
    const notice = { reason: 'unverified_link', link_status: 'unverified', sender: malloryId, sender_key: keyMallory };
    answer = (url) => {
      const path = decodeURIComponent(url.pathname);
      if (path.endsWith(`/rooms/${ROOM}/event/$old`))
        return Response.json({
          event_id: '$old',
          room_id: ROOM,
          type: 'm.room.message',
          sender: users[keyBob],
          origin_server_ts: noon - 60 * minute,
          content: { msgtype: 'm.text', body: 'long ago' },
          unsigned: { 'org.matrix.msc4428.stable_id': `@${keyBob}` },
        });
      if (path.endsWith(`/rooms/${ROOM}/event/$hidden`))
        return Response.json({ errcode: 'M_NOT_FOUND', error: 'Event not found', 'dev.wayfarer.soft_failed': notice }, { status: 404 });
      if (path === `/_matrix/client/unstable/dev.wayfarer/rooms/${ROOM}/soft_failed/$hidden`)
        return Response.json({ event: hidden, 'dev.wayfarer.soft_failed': { reason: 'unverified_link', link_status: 'unverified' } });
      return Response.json({ errcode: 'M_NOT_FOUND', error: 'Event not found' }, { status: 404 });
    };
    const replyTo = (id: string) => ({ 'm.relates_to': { 'm.in_reply_to': { event_id: id } } });
    await live(
      message(keyAlice, 'to the old one', noon + 3 * minute, replyTo('$old')),
      message(keyAlice, 'to the hidden one', noon + 4 * minute, replyTo('$hidden')),
      message(keyAlice, 'to a lost one', noon + 5 * minute, replyTo('$gone')),
    );
    const quoteOf = (body: string) => messages(vm.getState().rows).find((r) => r.content.body === body)!.reply;
    expect(quoteOf('to the old one')).toMatchObject({ kind: 'loading' });
    await vi.waitFor(() => expect(quoteOf('to a lost one')).toMatchObject({ kind: 'missing', eventId: '$gone' }));
    await vi.waitFor(() => expect(quoteOf('to the old one')).toMatchObject({ kind: 'message', text: 'long ago' }));
    // The fetched sender is the timeline's profile of that identity: the same object Bob's rows show.
    const bobRow = messages(vm.getState().rows).find((r) => r.event.identity === keyBob)!;
    expect((quoteOf('to the old one') as { profile: unknown }).profile).toBe(bobRow.profile);
    await vi.waitFor(() => expect(quoteOf('to the hidden one')).toMatchObject({ kind: 'hidden', reason: 'unverified', revealing: false }));
    expect(quoteOf('to the hidden one')).toMatchObject({ profile: { name: 'Bob (really)', badge: { kind: 'unverified' } } });
    expect(requests.filter((r) => r.includes('soft_failed'))).toEqual([]); // nothing fetched before the reader asks

    vm.getState().revealQuote('$hidden');
    expect(quoteOf('to the hidden one')).toMatchObject({ kind: 'hidden', revealing: true });
    await vi.waitFor(() =>
      expect(quoteOf('to the hidden one')).toMatchObject({
        kind: 'message',
        revealed: 'unverified',
        text: 'it is bob, really',
        profile: { name: 'Bob (really)', badge: { kind: 'unverified' } },
      }),
    );
    vm.getState().revealQuote('$old'); // not hidden: nothing to ask for
    expect(requests.filter((r) => r.includes('soft_failed'))).toHaveLength(1);
    expect(requests.filter((r) => r.endsWith('/event/$old'))).toHaveLength(1); // each quoted message is fetched once
  });

  it('counts the members an encrypted member-key room withholds keys from, as their links and the room change', async () => {
    expect(vm.getState().withheldKeys).toBe(0); // not encrypted
    const state = (type: string, content: Record<string, unknown>, ts: number) =>
      new MatrixEvent({ type, event_id: `$${type}${ts}`, room_id: ROOM, sender: me, state_key: '', origin_server_ts: ts, content });
    await live(state('m.room.create', { room_version: MEMBER_KEYS_ROOM_VERSION }, noon + 5 * minute));
    await live(state('m.room.encryption', { algorithm: 'm.megolm.v1.aes-sha2' }, noon + 6 * minute));
    expect(vm.getState().withheldKeys).toBe(0); // both links verified
    identity.getState().ingestMemberInfo(ROOM, linkInfo(keyBob, 'unverified'), false);
    expect(vm.getState().withheldKeys).toBe(1);
    identity.getState().ingestMemberInfo(ROOM, linkInfo(keyBob, 'verified'), false);
    expect(vm.getState().withheldKeys).toBe(0);
  });

  it('member_info for one key rebuilds only that identity’s rows', () => {
    const before = vm.getState().rows;
    identity.getState().ingestMemberInfo(ROOM, linkInfo(keyBob, 'unverified'), false);
    const after = vm.getState().rows;
    expect(after).toHaveLength(before.length);
    after.forEach((row, i) => {
      const isBobs = row.kind === 'message' && row.event.identity === keyBob;
      if (isBobs) expect(row).not.toBe(before[i]);
      else expect(row).toBe(before[i]);
    });
    const bob = messages(after).find((r) => r.event.identity === keyBob)!;
    expect(bob.profile).toMatchObject({ name: 'Bob', handleLabel: '⚠ Unverified handle', badge: { kind: 'unverified' } });
    // Another room's member_info changes nothing here.
    identity.getState().ingestMemberInfo('!other:x', linkInfo(keyAlice, 'unverified'), true);
    expect(vm.getState().rows).toBe(after);
  });

  it('a member’s new display name rebuilds only that member’s rows', async () => {
    const before = vm.getState().rows;
    await live(member(keyAlice, 'Alicia', noon + 3 * minute));
    const after = vm.getState().rows;
    const aliceRows = after.filter((r) => r.kind === 'message' && r.event.identity === keyAlice) as MessageRowData[];
    expect(aliceRows.map((r) => r.profile.name)).toEqual(['Alicia', 'Alicia']);
    const bobRow = messages(after).find((r) => r.event.identity === keyBob);
    expect(bobRow).toBe(messages(before).find((r) => r.event.identity === keyBob));
  });

  it('back-pagination prepends older rows and keeps the rows already there', async () => {
    const before = messages(vm.getState().rows);
    const older = [message(keyBob, 'zero', noon - 5 * minute), message(keyBob, 'minus one', noon - 6 * minute)];
    room.getLiveTimeline().setPaginationToken('page2', 'b' as never);
    const scrollback = vi.spyOn(client, 'scrollback').mockImplementation(async (r) => {
      r.addEventsToTimeline(older, true, false, r.getLiveTimeline());
      r.getLiveTimeline().setPaginationToken(null, 'b' as never);
      return r;
    });
    const loading = vm.getState().loadOlder();
    expect(vm.getState().loadingOlder).toBe(true);
    await loading;
    await settle();
    expect(scrollback).toHaveBeenCalledWith(room, 50);
    const after = messages(vm.getState().rows);
    expect(after.map((r) => r.content.body)).toEqual(['minus one', 'zero', 'one', 'two', 'three']);
    after.slice(2).forEach((row, i) => expect(row).toBe(before[i]));
    expect(vm.getState()).toMatchObject({ loadingOlder: false, canLoadOlder: false });
  });

  it('actions call the client with the right arguments', async () => {
    const sendMessage = vi.spyOn(client, 'sendMessage').mockResolvedValue({ event_id: '$sent' });
    const redactEvent = vi.spyOn(client, 'redactEvent').mockResolvedValue({ event_id: '$redaction' });
    const sendEvent = vi.spyOn(client, 'sendEvent').mockResolvedValue({ event_id: '$reaction' });

    chat.getState().setDraft(ROOM, 'hello');
    expect(vm.getState().send('hello', { kind: 'normal' })).toBe(true);
    expect(sendMessage).toHaveBeenLastCalledWith(ROOM, expect.objectContaining({ msgtype: 'm.text', body: 'hello' }));
    expect(chat.getState().drafts[ROOM]).toBe('');
    expect(vm.getState().send('   ', { kind: 'normal' })).toBe(false);

    vm.getState().startReply(third.getId()!);
    expect(chat.getState().composerMode[ROOM]).toEqual({ kind: 'reply', eventId: third.getId(), senderName: 'Alice', preview: 'three' });
    vm.getState().send('sure', chat.getState().composerMode[ROOM]!);
    expect(sendMessage).toHaveBeenLastCalledWith(
      ROOM,
      expect.objectContaining({ body: 'sure', 'm.relates_to': { 'm.in_reply_to': { event_id: third.getId() } } }),
    );
    expect(chat.getState().composerMode[ROOM]).toEqual({ kind: 'normal' });

    vm.getState().startEdit(second.getId()!);
    expect(chat.getState().composerMode[ROOM]).toEqual({ kind: 'edit', eventId: second.getId(), originalBody: 'two' });
    expect(chat.getState().drafts[ROOM]).toBe('two');
    vm.getState().send('two!', chat.getState().composerMode[ROOM]!);
    expect(sendMessage).toHaveBeenLastCalledWith(
      ROOM,
      expect.objectContaining({
        'm.new_content': expect.objectContaining({ body: 'two!' }),
        'm.relates_to': { rel_type: 'm.replace', event_id: second.getId() },
      }),
    );

    vm.getState().redact(first.getId()!);
    expect(redactEvent).toHaveBeenCalledWith(ROOM, first.getId());

    vm.getState().toggleReaction(first.getId()!, '🎉');
    await settle();
    expect(sendEvent).toHaveBeenCalledWith(
      ROOM,
      EventType.Reaction,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: first.getId(), key: '🎉' } },
      expect.any(String),
    );

    const typing = vi.spyOn(client, 'sendTyping').mockResolvedValue({});
    vm.getState().sendTyping(true);
    expect(typing).toHaveBeenCalledWith(ROOM, true, 5000);

    vm.getState().inspect(keyBob);
    expect(identity.getState().inspector).toEqual({ roomId: ROOM, identity: keyBob });
  });

  it('a failed local echo: Retry resends it, Discard cancels it', async () => {
    const echo = new MatrixEvent({
      type: 'm.room.message',
      event_id: '~!vm:x:t1',
      room_id: ROOM,
      sender: me,
      origin_server_ts: noon + 3 * minute,
      content: { msgtype: 'm.text', body: 'offline' },
    });
    echo.setTxnId('t1');
    echo.setStatus('not_sent' as never);
    room.addPendingEvent(echo, 't1');
    await settle();
    const row = vm.getState().rows.at(-1);
    expect(row).toMatchObject({ kind: 'message', content: { body: 'offline' }, event: { status: 'failed' } });
    const resend = vi.spyOn(client, 'resendEvent').mockResolvedValue({ event_id: '$x' });
    const cancel = vi.spyOn(client, 'cancelPendingEvent').mockImplementation(() => undefined);
    vm.getState().retry((row as MessageRowData).event.id);
    expect(resend).toHaveBeenCalledWith(echo, room);
    vm.getState().discard((row as MessageRowData).event.id);
    expect(cancel).toHaveBeenCalledWith(echo);
  });

  it('pending uploads sit at the end as the user’s own rows; cancelling one removes it', () => {
    const blob = new File(['x'], 'cat.png', { type: 'image/png' });
    globalThis.URL.revokeObjectURL ??= () => undefined;
    uploadStore.setState({
      uploads: [
        {
          id: 'up1',
          roomId: ROOM,
          file: blob,
          msgtype: 'm.image',
          name: 'cat.png',
          ts: noon + 3 * minute,
          previewUrl: 'blob:x',
          loaded: 1,
          total: 2,
          status: 'uploading',
        },
      ],
    });
    const withUpload = vm.getState().rows;
    expect(withUpload.at(-1)).toMatchObject({ kind: 'upload', key: 'up1', profile: { name: 'Carol' } });
    vm.getState().cancelUpload('up1');
    expect(uploadStore.getState().uploads).toEqual([]);
    expect(vm.getState().rows.at(-1)).toMatchObject({ kind: 'message', content: { body: 'three' } });
  });

  it('the fully-read marker follows what the first live sync brings (the cache may be behind), then stays put', () => {
    const marker = (eventId: string) => room.addAccountData([new MatrixEvent({ type: 'm.fully_read', content: { event_id: eventId } })]);
    // Opened from the sync cache: its marker is an old one; the first live sync brings the server's.
    marker(first.getId()!);
    expect(vm.getState().readMarker).toBe(first.getId());
    marker(second.getId()!);
    expect(vm.getState().readMarker).toBe(second.getId());
    // Live from now on: the marker moving (this client reading on) leaves the line where the view opened it.
    client.emit(ClientEvent.Sync, SyncState.Syncing, SyncState.Prepared);
    marker(third.getId()!);
    expect(vm.getState().readMarker).toBe(second.getId());
  });

  it('whether you may let in those who ask to join follows the power levels (the knock banner reads it)', async () => {
    const levels = (invite: number, stateKeyTs: number) =>
      new MatrixEvent({
        type: 'm.room.power_levels',
        event_id: `$pl${stateKeyTs}`,
        room_id: ROOM,
        sender: me,
        state_key: '',
        origin_server_ts: stateKeyTs,
        content: { invite, users_default: 0 },
      });
    await live(levels(50, noon + 3 * minute));
    expect(vm.getState().canInvite).toBe(false);
    expect(vm.getState().canKick).toBe(false); // kick defaults to 50
    await live(levels(0, noon + 4 * minute));
    expect(vm.getState().canInvite).toBe(true);
  });

  it('answers a request to join by the member key that knocked: approve invites it, deny kicks it', async () => {
    const bodies: unknown[] = [];
    answer = () => Response.json({});
    const fetchBodies = client.http.opts.fetchFn!;
    client.http.opts.fetchFn = async (input, init) => {
      if (init?.body) bodies.push(JSON.parse(String(init.body)));
      return fetchBodies(input, init);
    };
    await vm.getState().answerKnock(keyBob, true);
    await vm.getState().answerKnock(keyBob, false);
    expect(requests.filter((p) => p.includes('/invite') || p.includes('/kick')).map((p) => p.split('/').pop())).toEqual(['invite', 'kick']);
    expect(bodies).toEqual([{ user_id: `@${keyBob}` }, { user_id: `@${keyBob}` }]);
  });

  it('a first marker that arrives while the room is open leaves what arrived meanwhile read (no line before it)', async () => {
    // Live, the room open with no marker yet: Carol reads "three", her client moves the marker there, and Alice's
    // "four" arrives before the server's echo of the marker does. She saw "four" arrive: it is not unread.
    client.emit(ClientEvent.Sync, SyncState.Syncing, SyncState.Prepared);
    expect(vm.getState().readMarker).toBeUndefined();
    const four = message(keyAlice, 'four', noon + 3 * minute);
    await live(four);
    room.addAccountData([new MatrixEvent({ type: 'm.fully_read', content: { event_id: third.getId() } })]);
    const { rows, readMarker, myIdentity, readUntil } = vm.getState();
    expect(readMarker).toBe(third.getId());
    expect(firstUnreadRow(rows, readMarker, myIdentity, readUntil)).toBeUndefined();
  });
});
