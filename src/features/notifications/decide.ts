// Whether a new event becomes a system notification, and what it says. Pure: the caller gathers the event,
// the homeserver's push actions and the app's state; the sender arrives already resolved through identity
// (describeSender), so an unverified claim is never shown as a handle here either.
import { badgeLabel, type Badge } from '../../domain/identity/badge';
import { t, type MessageKey } from '../../i18n';

export interface NotifiableEvent {
  roomId: string;
  eventId: string;
  type: string;
  content: Record<string, unknown>;
  redacted: boolean;
  /** Sent by this account (by user ID or by our member key). */
  isOwn: boolean;
  /** Arrived from a live sync after start-up: not initial sync, the sync cache or back-pagination. */
  isLive: boolean;
  /** An edit (m.replace): the original already notified. */
  isEdit: boolean;
}

/** The homeserver's verdict for this event, from its push rules (matrix-js-sdk `getPushActionsForEvent`). */
export interface PushVerdict {
  notify: boolean;
  highlight: boolean;
}

export interface NotificationAppState {
  enabled: boolean;
  permission: NotificationPermission | 'unsupported';
  membership: string | undefined;
  selectedRoomId: string | undefined;
  tabVisible: boolean;
}

export interface SenderForNotification {
  name: string;
  badge: Badge;
}

export interface NotificationPlan {
  roomId: string;
  eventId: string;
  title: string;
  body: string;
  /** One notification per event: a repeated delivery replaces rather than stacks. */
  tag: string;
  highlight: boolean;
}

const maxBodyLength = 200;

/** How the sender reads in a notification: a verified or classic sender by name; anything unconfirmed says so first. */
export function senderLabel(sender: SenderForNotification): string {
  switch (sender.badge.kind) {
    case 'plain':
    case 'verified':
      return sender.name;
    case 'erased':
      return t('notifications.sender.erased');
    default:
      // Unverified (or contested): the badge's warning words, then the display name; never the claimed handle.
      return t('notifications.sender.unconfirmed', { badge: badgeLabel(sender.badge), name: sender.name });
  }
}

/** What a message event says: its text, a "sent a file" sentence, or undefined for events a person would not be notified of. */
export function messageText(type: string, content: Record<string, unknown>): { text: string } | { sent: MessageKey } | undefined {
  if (type === 'm.room.encrypted') return { text: t('notifications.encrypted') };
  if (type === 'm.sticker') return { sent: 'notifications.body.sticker' };
  if (type !== 'm.room.message') return undefined;
  const body = typeof content.body === 'string' ? content.body.trim() : '';
  switch (content.msgtype) {
    case 'm.image':
      return { sent: 'notifications.body.image' };
    case 'm.video':
      return { sent: 'notifications.body.video' };
    case 'm.audio':
      return { sent: 'notifications.body.audio' };
    case 'm.file':
      return { sent: 'notifications.body.file' };
    default:
      return body === '' ? undefined : { text: body };
  }
}

function truncate(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > maxBodyLength ? `${oneLine.slice(0, maxBodyLength - 1)}…` : oneLine;
}

export function notificationBody(sender: SenderForNotification, type: string, content: Record<string, unknown>): string | undefined {
  const said = messageText(type, content);
  if (said === undefined) return undefined;
  const who = senderLabel(sender);
  if ('sent' in said) return truncate(t(said.sent, { who }));
  if (type === 'm.room.message' && content.msgtype === 'm.emote') return truncate(t('notifications.body.emote', { who, text: said.text }));
  return truncate(t('notifications.body.text', { who, text: said.text }));
}

export function decideNotification(
  event: NotifiableEvent,
  verdict: PushVerdict | null,
  app: NotificationAppState,
  roomName: string,
  sender: SenderForNotification,
): NotificationPlan | null {
  if (!app.enabled || app.permission !== 'granted') return null;
  if (!event.isLive || event.isOwn || event.isEdit || event.redacted) return null;
  if (app.membership !== 'join') return null;
  if (!verdict?.notify) return null;
  // The reader is already looking at it.
  if (app.tabVisible && app.selectedRoomId === event.roomId) return null;
  const body = notificationBody(sender, event.type, event.content);
  if (body === undefined) return null;
  return {
    roomId: event.roomId,
    eventId: event.eventId,
    title: roomName,
    body,
    tag: `${event.roomId}|${event.eventId}`,
    highlight: verdict.highlight,
  };
}

/** "(3) Wayfarer": the tab says how much is waiting. */
export function tabTitle(totalUnread: number, base = t('app.name')): string {
  if (!Number.isFinite(totalUnread) || totalUnread <= 0) return base;
  return t('notifications.tabTitle', { unread: totalUnread > 99 ? '99+' : String(Math.floor(totalUnread)), base });
}
