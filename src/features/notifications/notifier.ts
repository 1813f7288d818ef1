// Wires matrix-js-sdk to system notifications: each new timeline event goes through decideNotification with
// the homeserver's push actions, the sender as describeSender resolves it, and the app's state.
import { ClientEvent, RoomEvent, SyncState, type IRoomTimelineData, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { openRoom, routeStore, selectOpenRoomId } from '../../state/navigation';
import { identityFactsOf, roomIdentities } from '../../domain/room/roomIdentities';
import { identityStore } from '../../domain/identity/identityStore';
import { senderIdentity } from '../../domain/identity/sender';
import { decideNotification, type NotifiableEvent, type NotificationPlan, type PushVerdict } from './decide';
import { notificationSettings } from './settings';
import { logger } from '../../platform/logger';

const log = logger('notifications');

/** Shows a plan as a system notification; clicking it brings the tab forward and opens the room. */
export function showSystemNotification(plan: NotificationPlan, openRoom: (roomId: string) => void): Notification | undefined {
  if (typeof Notification === 'undefined') return undefined;
  try {
    const notification = new Notification(plan.title, { body: plan.body, tag: plan.tag });
    notification.onclick = () => {
      window.focus();
      openRoom(plan.roomId);
      notification.close();
    };
    return notification;
  } catch (error) {
    // Some browsers refuse the constructor (Android Chrome wants a service worker): no notification, no crash.
    log.debug('this browser refused to show a notification', error);
    return undefined;
  }
}

export function notifiableEvent(client: MatrixClient, room: Room, event: MatrixEvent, live: boolean): NotifiableEvent {
  const me = client.getUserId() ?? '';
  const identity = identityOfEvent(event);
  const sender = event.getSender() ?? '';
  return {
    roomId: room.roomId,
    eventId: event.getId() ?? '',
    type: event.getType(),
    content: event.getContent(),
    redacted: event.isRedacted(),
    // In member-key rooms the server may map our own key to another user ID: compare identities too.
    isOwn: sender === me || (identity !== '' && identity === roomIdentities(room).identityOfUser(me)),
    isLive: live && event.status === null && event.getId() !== undefined,
    isEdit: event.isRelation('m.replace'),
  };
}

/** Starts notifying for `client`; returns a function that stops it. */
export function bindNotifications(client: MatrixClient, open = (roomId: string) => openRoom(roomId)): () => void {
  // Only after the first sync is in (PREPARED): initial sync and the sync cache replay old events as if new.
  let started = client.isInitialSyncComplete();
  const onSync = (state: SyncState) => {
    if (state === SyncState.Prepared) started = true;
    if (state === SyncState.Stopped) started = false;
  };
  const onTimeline = (
    event: MatrixEvent,
    room: Room | undefined,
    toStartOfTimeline: boolean | undefined,
    removed: boolean,
    data: IRoomTimelineData,
  ) => {
    if (!room || removed) return;
    const live = started && !toStartOfTimeline && data.liveEvent === true;
    if (!live) return; // cheap exit before push rules and identity
    // An encrypted message is judged (push rules, text) on what it says: once decrypted, if it can be.
    const decrypting = event.isEncrypted() ? event.getDecryptionPromise() : null;
    if (decrypting) {
      void decrypting.then(() => notify(event, room, live), log.ignored('not decrypted; not notified'));
      return;
    }
    notify(event, room, live);
  };
  const notify = (event: MatrixEvent, room: Room, live: boolean) => {
    const settings = notificationSettings.getState();
    const plan = decideNotification(
      notifiableEvent(client, room, event, live),
      pushVerdict(client.getPushActionsForEvent(event, event.isEncrypted())),
      {
        enabled: settings.enabled,
        permission: settings.permission,
        membership: room.getMyMembership(),
        selectedRoomId: selectOpenRoomId(routeStore.getState()),
        tabVisible: document.visibilityState === 'visible',
      },
      room.name || room.roomId,
      roomIdentities(room).profile(
        { identity: identityOfEvent(event), sender: event.getSender() ?? '' },
        identityFactsOf(identityStore.getState(), room.roomId),
      ),
    );
    if (plan) showSystemNotification(plan, open);
  };
  client.on(ClientEvent.Sync, onSync);
  client.on(RoomEvent.Timeline, onTimeline);
  return () => {
    client.off(ClientEvent.Sync, onSync);
    client.off(RoomEvent.Timeline, onTimeline);
  };
}

export function pushVerdict(actions: ReturnType<MatrixClient['getPushActionsForEvent']>): PushVerdict | null {
  return actions ? { notify: actions.notify, highlight: actions.tweaks.highlight === true } : null;
}

function identityOfEvent(event: MatrixEvent): string {
  const raw = event.event;
  return senderIdentity({
    sender: raw.sender,
    sender_key: (raw as { sender_key?: string }).sender_key,
    unsigned: raw.unsigned as Record<string, unknown> | undefined,
  });
}
