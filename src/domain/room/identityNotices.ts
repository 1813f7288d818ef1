// Every change to a member's identity as one kind of inline notice, where it happened, each opening the inspector:
// handle changes (handleChanges.ts), links lost, restored or contested (observed from member_info, placed by the time
// they were seen: domain/identity/linkNotices), erasures (a member event's redaction, placed at the redaction).
// And the other half of MSC4430's advice: state changes sent by members whose link was unverified then are marked.
import type { LinkNotice, ObservedStatus } from '../identity/linkNotices';
import { actionOfNotice, linkStatusAt } from '../identity/linkNotices';
import type { NoticeRow, PlacedNotice } from './handleChanges';
import type { TimelineEvent } from './timeline';
import { msg, type Message } from '../../i18n';

export function describeLinkNotice(notice: LinkNotice, name: string): Message {
  const handle = notice.handle ?? '';
  switch (notice.kind) {
    case 'lost':
      return notice.reason
        ? msg('identity.notice.lost', { name, handle, reason: notice.reason })
        : msg('identity.notice.lostNoReason', { name, handle });
    case 'restored':
      return msg('identity.notice.restored', { name, handle });
    case 'contested':
      return msg('identity.notice.contested', { name, by: notice.by ?? '' });
    case 'identityReset':
      return msg('identity.notice.identityReset', { name });
    case 'verifiedIdentityReset':
      return msg('identity.notice.verifiedIdentityReset', { name });
  }
}

/** The event a link notice stands for in the timeline (it has none of its own). */
export function linkNoticeEvent(notice: LinkNotice): TimelineEvent {
  return {
    id: `link-${notice.id}`,
    type: 'dev.wayfarer.link_notice',
    sender: notice.identity,
    identity: notice.identity,
    subject: notice.identity,
    ts: notice.ts,
    content: {},
    redacted: false,
    status: 'sent',
  };
}

/**
 * Link notices among the loaded `events`, each after the last event at or before the time it was seen. One seen
 * before every loaded event is left out (it shows once older history loads), unless the room's start is loaded.
 */
export function placeLinkNotices(
  events: readonly TimelineEvent[],
  notices: readonly LinkNotice[],
  nameOf: (identity: string) => string,
  reachedStart: boolean,
): PlacedNotice[] {
  const placed: PlacedNotice[] = [];
  if (events.length === 0) return placed;
  for (const notice of notices) {
    let index = -1;
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i]!;
      if (event.status === 'sent' && event.ts <= notice.ts) {
        index = i;
        break;
      }
    }
    if (index < 0 && !reachedStart) continue;
    const event = linkNoticeEvent(notice);
    const action = notice.userId && !notice.resolved ? actionOfNotice(notice.kind) : undefined;
    placed.push({
      index: index + 0.5,
      row: {
        kind: 'notice',
        key: event.id,
        event,
        text: describeLinkNotice(notice, nameOf(notice.identity)),
        inspect: notice.identity,
        ...(action ? { identityAction: { userId: notice.userId!, action } } : {}),
        ...(notice.kind === 'verifiedIdentityReset' ? { warning: true } : {}),
      },
    });
  }
  return placed;
}

/** The member a redaction erased, when it redacted a member event. */
export type ErasedTarget = { subject: string };

/** "Bob was erased: Alice redacted the member event", at the redaction's place. */
export function erasureNotices(
  events: readonly TimelineEvent[],
  erasedBy: (redaction: TimelineEvent) => ErasedTarget | undefined,
  nameOf: (identity: string) => string,
  /** The handle the member claimed before the erasure, when it is still known. */
  erasedHandleOf: (identity: string) => string | undefined = () => undefined,
): PlacedNotice[] {
  const placed: PlacedNotice[] = [];
  events.forEach((event, index) => {
    if (event.type !== 'm.room.redaction' || event.status !== 'sent') return;
    const target = erasedBy(event);
    if (!target) return;
    const row: NoticeRow = {
      kind: 'notice',
      key: `erased-${event.id}`,
      event: { ...event, subject: target.subject },
      text: erasureText(nameOf(event.identity || event.sender), erasedHandleOf(target.subject)),
      inspect: target.subject,
    };
    placed.push({ index, row });
  });
  return placed;
}

/** "@bob:beta was erased: Alice redacted the member event", or "A member was erased…" when its handle went with it. */
export function erasureText(actor: string, erasedHandle: string | undefined): Message {
  return erasedHandle ? msg('identity.notice.erased', { name: erasedHandle, actor }) : msg('identity.notice.erasedUnknown', { actor });
}

/**
 * Whether a state change was sent by a member whose link was unverified (or erased) when it was sent: invites,
 * kicks, bans, power levels, name, topic, join rules, server ACLs... A member's own membership is not a change
 * made to the room by it (its join is its own badge's business). Pending links are not suspicious (PROTOCOL.md §5).
 */
export function sentByUnverified(
  event: TimelineEvent,
  notices: readonly LinkNotice[],
  currentStatus: (identity: string) => ObservedStatus | undefined,
): boolean {
  if (event.stateKey === undefined || event.type === 'dev.wayfarer.link_notice' || event.status !== 'sent') return false;
  const actor = event.identity;
  if (!actor || actor.startsWith('@')) return false; // classic rooms: no links
  if (event.type === 'm.room.member' && (event.subject ?? event.stateKey) === actor) return false;
  if (event.type === 'm.room.create') return false;
  const status = linkStatusAt(notices, actor, event.ts, currentStatus(actor));
  return status === 'unverified' || status === 'erased';
}
