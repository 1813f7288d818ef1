// Feeds the chat store from matrix-js-sdk events: room summaries, connection state, and per-room
// revisions. Updates are coalesced so a big sync renders once. The bindings also make the view model of each open room
// (one per room, shared by its views; room/openRooms.ts) and stop them all when they unbind.
import {
  ClientEvent,
  EventType,
  HttpApiEvent,
  KnownMembership,
  MatrixEventEvent,
  NotificationCountType,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type RoomMember,
} from 'matrix-js-sdk';
import type { ChatStore } from '../state/chatStore';
import type { RoomSummary } from './rooms/roomList';
import { msg, type Message } from '../i18n';
import { cameBack, connectionFromSync, type SdkSyncState } from '../matrix/connection';
import { resendUnsent } from '../matrix/client';
import type { Liveness } from '../matrix/liveness';
import { directPartnerOf } from './rooms/directPartner';
import { identityStore } from './identity/identityStore';
import { identityFactsOf, roomIdentities, type IdentityFacts } from './room/roomIdentities';
import { OpenRooms } from './room/openRooms';
import { isPrunedMessage } from './room/fromSdk';
import { notificationLevelOf, type PushRulesLike } from './room/roomSettings';
import type { RoomViewModel } from './room/roomViewModel';

const openRooms = new WeakMap<MatrixClient, OpenRooms>();

function openRoomsOf(client: MatrixClient): OpenRooms {
  const rooms = openRooms.get(client);
  if (!rooms) throw new Error('room view models come from the bindings: bindClient this client first');
  return rooms;
}

/** The view model of an open room: made by the client's bindings on first use, shared by every view of the room. */
export function roomViewModel(client: MatrixClient, room: Room): RoomViewModel {
  return openRoomsOf(client).viewModel(room);
}

/** Keeps a room's view model running while a view shows it; returns the release (it stops a while after the last). */
export function holdRoomViewModel(client: MatrixClient, vm: RoomViewModel): () => void {
  return openRooms.get(client)?.hold(vm) ?? (() => undefined);
}

export function directRoomIds(client: MatrixClient): Set<string> {
  const content = client.getAccountData(EventType.Direct)?.getContent<Record<string, string[]>>() ?? {};
  const ids = new Set<string>();
  for (const rooms of Object.values(content)) if (Array.isArray(rooms)) for (const id of rooms) ids.add(id);
  return ids;
}

/** "name: text" for the newest visible message, so the list says what is going on (a sentence for the view to render). */
export function previewOf(room: Room, facts: IdentityFacts): Message | undefined {
  const events = room.getLiveTimeline().getEvents();
  for (let i = events.length - 1; i >= Math.max(0, events.length - 30); i--) {
    const event = events[i]!;
    if (event.getType() !== EventType.RoomMessage || event.isRelation('m.replace') || event.isDecryptionFailure()) continue;
    if (event.getContent().msgtype === 'm.key.verification.request') continue; // a fallback text, not something said
    const name = roomIdentities(room).nameOfUser(event.getSender() ?? '', facts);
    if (event.isRedacted() || isPrunedMessage(event)) return msg('rooms.preview.deleted', { name });
    const content = event.getContent();
    const body = typeof content.body === 'string' ? content.body.split('\n')[0]! : '';
    return content.msgtype === 'm.emote'
      ? msg('rooms.preview.emote', { name, body })
      : content.msgtype === 'm.image'
        ? msg('rooms.preview.image', { name })
        : msg('rooms.preview.text', { name, body });
  }
  return undefined;
}

export function summarizeRoom(room: Room, client: MatrixClient, direct: Set<string>): RoomSummary | undefined {
  const membership = room.getMyMembership();
  if (membership !== KnownMembership.Join && membership !== KnownMembership.Invite && membership !== KnownMembership.Knock)
    return undefined;
  const me = client.getUserId() ?? '';
  const myMember = room.getMember(me);
  const inviter = membership === KnownMembership.Invite ? (myMember?.events.member?.getSender() ?? room.getDMInviter()) : undefined;
  const isDirectInvite = membership === KnownMembership.Invite && myMember?.events.member?.getContent().is_direct === true;
  const isDirect = direct.has(room.roomId) || isDirectInvite;
  const notify =
    membership === KnownMembership.Join ? notificationLevelOf(client.pushRules as PushRulesLike | undefined, room.roomId) : 'all';
  return {
    roomId: room.roomId,
    name: room.name || room.roomId,
    membership,
    lastActivity: room.getLastActiveTimestamp() > 0 ? room.getLastActiveTimestamp() : (myMember?.events.member?.getTs() ?? 0),
    unread: membership === KnownMembership.Join ? room.getUnreadNotificationCount(NotificationCountType.Total) : 0,
    highlights: membership === KnownMembership.Join ? room.getUnreadNotificationCount(NotificationCountType.Highlight) : 0,
    isDirect,
    ...(isDirect ? directPartnerOf(room, me, identityFactsOf(identityStore.getState(), room.roomId)) : {}),
    inviter,
    avatarMxc: room.getMxcAvatarUrl() ?? undefined,
    alias: room.getCanonicalAlias() ?? undefined,
    preview: membership === KnownMembership.Join ? previewOf(room, identityFactsOf(identityStore.getState(), room.roomId)) : undefined,
    ...(notify !== 'all' ? { notify } : {}),
  };
}

export function summarizeRooms(client: MatrixClient): RoomSummary[] {
  const direct = directRoomIds(client);
  return client.getRooms().flatMap((room) => summarizeRoom(room, client, direct) ?? []);
}

/**
 * Starts feeding `store`; returns a function that stops it. `onLoggedOut` runs when the server revokes the token.
 * `liveness` (the client's fetch watchdog) says when the server stopped answering, long before the SDK notices.
 */
export function bindClient(client: MatrixClient, store: ChatStore, onLoggedOut: () => void, liveness?: Liveness): () => void {
  const rooms = new OpenRooms({ client, chat: store, identity: identityStore });
  openRooms.get(client)?.dispose();
  openRooms.set(client, rooms);
  const touched = new Set<string>();
  let roomsDirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const state = store.getState();
    if (roomsDirty) state.setRooms(summarizeRooms(client));
    if (touched.size) state.touchRooms(touched);
    roomsDirty = false;
    touched.clear();
  };
  const schedule = () => {
    timer ??= setTimeout(flush, 16);
  };
  const touchRoom = (roomId: string | undefined, listChanged = true) => {
    if (roomId) touched.add(roomId);
    if (listChanged) roomsDirty = true;
    schedule();
  };

  let lastSync: SdkSyncState = client.getSyncState() as SdkSyncState;
  const updateConnection = () => {
    const previous = store.getState().connection;
    const next = connectionFromSync(lastSync, navigator.onLine, liveness?.lost() ?? false);
    if (next === previous) return;
    store.getState().setConnection(next);
    // Unsent messages go out again as soon as the server is back.
    if (cameBack(previous, next)) void resendUnsent(client);
  };

  const onSync = (state: SdkSyncState) => {
    lastSync = state;
    updateConnection();
    roomsDirty = true;
    schedule();
  };
  const onTimeline = (_e: MatrixEvent, room: Room | undefined) => touchRoom(room?.roomId);
  const onRoomEvent = (_e: unknown, room: Room | undefined) => touchRoom(room?.roomId);
  const onLocalEcho = (_e: MatrixEvent, room: Room) => touchRoom(room.roomId);
  const onReceipt = (_e: MatrixEvent, room: Room) => touchRoom(room.roomId);
  const onRoom = (room: Room) => touchRoom(room.roomId);
  const onMyMembership = (room: Room) => touchRoom(room.roomId);
  const onDelete = (roomId: string) => {
    rooms.close(roomId);
    touchRoom(undefined);
  };
  const onMember = (_e: MatrixEvent, member: RoomMember) => touchRoom(member.roomId, false);
  const onAccountData = (event: MatrixEvent) => {
    // m.direct makes DMs; m.push_rules sets each room's notification level (its icon in the list).
    if (event.getType() === EventType.Direct || event.getType() === EventType.PushRules) touchRoom(undefined);
  };
  const onLoggedOutEvent = () => onLoggedOut();

  // Each listener is taken off again by the returned cleanup, so on and off cannot drift apart.
  const unsubscribes: (() => void)[] = [];
  const listen: typeof client.on = (event, listener) => {
    unsubscribes.push(() => client.off(event, listener));
    return client.on(event, listener);
  };
  listen(ClientEvent.Sync, onSync);
  listen(RoomEvent.Timeline, onTimeline);
  listen(RoomEvent.Redaction, onRoomEvent);
  // A decrypted message changes the room's preview.
  listen(MatrixEventEvent.Decrypted, (event: MatrixEvent) => touchRoom(event.getRoomId()));
  for (const event of [RoomEvent.TimelineReset, RoomStateEvent.Members] as const) listen(event, onRoomEvent as never);
  listen(RoomEvent.LocalEchoUpdated, onLocalEcho);
  listen(RoomEvent.Receipt, onReceipt);
  for (const event of [RoomEvent.Name, ClientEvent.Room] as const) listen(event, onRoom);
  listen(RoomEvent.MyMembership, onMyMembership);
  listen(ClientEvent.DeleteRoom, onDelete);
  listen(ClientEvent.AccountData, onAccountData);
  for (const event of [RoomMemberEvent.Typing, RoomMemberEvent.Name, RoomMemberEvent.PowerLevel, RoomMemberEvent.Membership] as const)
    listen(event, onMember);
  listen(HttpApiEvent.SessionLoggedOut, onLoggedOutEvent);
  window.addEventListener('online', updateConnection);
  window.addEventListener('offline', updateConnection);
  if (liveness)
    unsubscribes.push(
      liveness.subscribe((lost) => {
        updateConnection();
        // The server answers again: the SDK's keep-alive loop may be sleeping for up to ten seconds; wake it.
        if (!lost) client.retryImmediately();
      }),
    );
  // A DM's hint in the list is its partner's handle, which hangs on the link: re-derive when links change.
  unsubscribes.push(
    identityStore.subscribe((next, previous) => {
      if (next.memberInfo !== previous.memberInfo || next.browser !== previous.browser) touchRoom(undefined);
    }),
  );
  roomsDirty = true;
  schedule();

  return () => {
    rooms.dispose();
    if (openRooms.get(client) === rooms) openRooms.delete(client);
    if (timer) clearTimeout(timer);
    for (const unsubscribe of unsubscribes) unsubscribe();
    window.removeEventListener('online', updateConnection);
    window.removeEventListener('offline', updateConnection);
  };
}
