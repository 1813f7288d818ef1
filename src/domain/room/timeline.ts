// The timeline as view data: pure functions from plain events to rows (day separators, message groups,
// compact notices, edits, redactions). No matrix-js-sdk here, so the bench and tests feed it directly.
import { aggregateReactions, annotationOf, type ReactionGroup } from './reactions';
import { msg, type Message } from '../../i18n';

export type SendStatus = 'sent' | 'sending' | 'failed';

export interface TimelineEvent {
  /** Event ID, or the transaction ID while a local echo is unsent. */
  id: string;
  type: string;
  /** The raw `sender` (a user ID). */
  sender: string;
  /** Who sent it, from features/identity/sender: grouping and names hang off this. */
  identity: string;
  ts: number;
  content: Record<string, unknown>;
  stateKey?: string;
  /** Member events: the identity of the member the event is about (its state key's key), for its badge. */
  subject?: string;
  prevContent?: Record<string, unknown>;
  redacted: boolean;
  status: SendStatus;
  /** A failed send that is worth sending again by itself (network or server trouble, not a refusal). */
  retryable?: boolean;
  /** The transaction ID of an event sent from this session: keeps its row's key from local echo to remote echo. */
  txnId?: string;
}

/** An attachment on its way up: no event exists yet, only the local file (seen through `previewUrl`). */
export interface PendingImage {
  /** Also the transaction ID its message is sent with, so the event's row takes over this row's key. */
  id: string;
  /** What it goes out as: m.image, m.video, m.audio or m.file. */
  msgtype: 'm.image' | 'm.video' | 'm.audio' | 'm.file';
  name: string;
  /** When the upload started. */
  ts: number;
  previewUrl: string;
  w?: number;
  h?: number;
  /** Of a video or audio file, in ms, when the browser could read it. */
  duration?: number;
  loaded: number;
  total: number;
  status: 'uploading' | 'failed';
  error?: string;
}

export type TimelineRow =
  | { kind: 'day'; key: string; ts: number }
  | {
      kind: 'message';
      key: string;
      event: TimelineEvent;
      /** Content after the latest edit. */
      content: Record<string, unknown>;
      edited: boolean;
      /** First message of a group: shows the sender's name and avatar. */
      startsGroup: boolean;
      replyTo?: string;
      /** Reactions to this message, grouped by key then identity (see reactions.ts); empty when none. */
      reactions: ReactionGroup[];
    }
  | {
      kind: 'notice';
      key: string;
      event: TimelineEvent;
      text: Message;
      /** A change to this member's identity (handle, link, erasure): the notice opens its inspector. */
      inspect?: string;
      /** An encryption identity reset still to act on: OK (pin) or Withdraw verification, for this user ID. */
      identityAction?: { userId: string; action: 'pin' | 'withdraw' };
      /** Shown as a warning, not a note (a verified identity that changed). */
      warning?: boolean;
    }
  | {
      kind: 'upload';
      key: string;
      /** The message-to-be, as the user's own: grouping and the sender's name hang off it like a local echo's. */
      event: TimelineEvent;
      upload: PendingImage;
      startsGroup: boolean;
    };

/** Element's grouping window. */
export const groupWindowMs = 5 * 60 * 1000;

export function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** One key per calendar day, so a day separator keeps its identity when older messages load above it. */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** Element's rule: same sender identity, within 5 minutes, on the same day (callers reset on other rows). */
export function continuesGroup(previous: TimelineEvent, next: TimelineEvent): boolean {
  return (
    previous.identity === next.identity && next.ts - previous.ts <= groupWindowMs && next.ts >= previous.ts && sameDay(previous.ts, next.ts)
  );
}

function relation(content: Record<string, unknown>): { relType?: string; eventId?: string; inReplyTo?: string } {
  const rel = content['m.relates_to'];
  if (typeof rel !== 'object' || rel === null) return {};
  const r = rel as Record<string, unknown>;
  const reply = r['m.in_reply_to'] as Record<string, unknown> | undefined;
  return {
    relType: typeof r.rel_type === 'string' ? r.rel_type : undefined,
    eventId: typeof r.event_id === 'string' ? r.event_id : undefined,
    inReplyTo: typeof reply?.event_id === 'string' ? reply.event_id : undefined,
  };
}

/** The target of an `m.replace` edit, or undefined. */
export function editTarget(event: TimelineEvent): string | undefined {
  if (event.type !== 'm.room.message' || event.redacted) return undefined;
  const rel = relation(event.content);
  return rel.relType === 'm.replace' ? rel.eventId : undefined;
}

/** An `m.room.encrypted` event here is one not (yet) decrypted (room/fromSdk.ts): a row that says why. */
const messageTypes = new Set(['m.room.message', 'm.sticker', 'm.room.encrypted']);

export type NameOf = (userId: string) => string;

/** One line for state changes people care about, as a message; undefined hides the event. */
/** An in-room verification request (m.key.verification.request), sent as an m.room.message. */
export const isVerificationRequest = (event: Pick<TimelineEvent, 'type' | 'content'>): boolean =>
  event.type === 'm.room.message' && event.content.msgtype === 'm.key.verification.request';

export function describeStateEvent(event: TimelineEvent, nameOf: NameOf): Message | undefined {
  const actor = nameOf(event.sender);
  const content = event.content;
  switch (event.type) {
    // Not a message: its body is a fallback for clients without in-room verification (the SAS dialog does the rest).
    case 'm.room.message':
      return isVerificationRequest(event)
        ? msg('timeline.verificationRequest', { actor, target: nameOf(typeof content.to === 'string' ? content.to : '') })
        : undefined;
    case 'm.room.member': {
      const target = content.displayname && typeof content.displayname === 'string' ? content.displayname : nameOf(event.stateKey ?? '');
      const now = content.membership;
      const before = event.prevContent?.membership;
      const self = event.sender === event.stateKey;
      if (now === 'join' && before === 'join') {
        const oldName = event.prevContent?.displayname;
        if (oldName !== content.displayname && typeof content.displayname === 'string') {
          return typeof oldName === 'string'
            ? msg('timeline.nameChanged', { old: oldName, name: content.displayname })
            : msg('timeline.nameSet', { target });
        }
        if (event.prevContent?.avatar_url !== content.avatar_url) return msg('timeline.avatarChanged', { target });
        return undefined;
      }
      if (now === 'join') return msg('timeline.joined', { target });
      if (now === 'invite') return msg('timeline.invited', { actor, target });
      if (now === 'leave') {
        if (before === 'invite') return self ? msg('timeline.declined', { target }) : msg('timeline.inviteWithdrawn', { actor, target });
        if (before === 'ban') return msg('timeline.unbanned', { actor, target });
        return self ? msg('timeline.left', { target }) : msg('timeline.removed', { actor, target });
      }
      if (now === 'ban') return msg('timeline.banned', { actor, target });
      if (now === 'knock') return msg('timeline.knocked', { target });
      return undefined;
    }
    case 'm.room.name':
      return typeof content.name === 'string' && content.name !== ''
        ? msg('timeline.renamed', { actor, name: content.name })
        : msg('timeline.nameRemoved', { actor });
    case 'm.room.topic':
      return typeof content.topic === 'string' && content.topic !== ''
        ? msg('timeline.topicChanged', { actor, topic: content.topic })
        : msg('timeline.topicRemoved', { actor });
    case 'm.room.create':
      return msg('timeline.created', { actor });
    case 'm.room.avatar':
      return msg('timeline.roomAvatarChanged', { actor });
    case 'm.room.encryption':
      return msg('timeline.encryption', { actor });
    case 'm.room.power_levels':
      return msg('timeline.powerLevels', { actor });
    case 'm.room.join_rules':
      return typeof content.join_rule === 'string' ? msg('timeline.joinRule', { actor, rule: content.join_rule }) : undefined;
    case 'm.room.server_acl':
      return msg('timeline.serverAcl', { actor });
    case 'm.room.history_visibility':
      return typeof content.history_visibility === 'string'
        ? msg('timeline.historyVisibility', { actor, visibility: content.history_visibility })
        : undefined;
    default:
      return undefined;
  }
}

/** A row's key: the transaction ID while there is one, so a local echo's row stays the same row once sent. */
export function rowKey(event: TimelineEvent): string {
  return event.txnId ?? event.id;
}

/** The latest `m.replace` among `edits` that its original's sender made (only the sender may edit), or undefined. */
export function latestEditOf(original: TimelineEvent | undefined, edits: readonly TimelineEvent[] | undefined): TimelineEvent | undefined {
  let latest: TimelineEvent | undefined;
  for (const edit of edits ?? []) {
    if (!editTarget(edit)) continue; // redacted since
    if (original && original.identity !== edit.identity) continue;
    if (!latest || edit.ts >= latest.ts) latest = edit;
  }
  return latest;
}

type MessageRowData = Extract<TimelineRow, { kind: 'message' }>;
const noReactions: ReactionGroup[] = [];

/** One message's row: its latest edit and its reactions folded in. */
export function messageRow(
  event: TimelineEvent,
  startsGroup: boolean,
  edit: TimelineEvent | undefined,
  reactions: ReactionGroup[] | undefined,
): MessageRowData {
  const newContent = edit?.content['m.new_content'];
  const content =
    !event.redacted && edit && typeof newContent === 'object' && newContent !== null
      ? (newContent as Record<string, unknown>)
      : event.content;
  return {
    kind: 'message',
    key: rowKey(event),
    event,
    content,
    edited: !!edit && !event.redacted,
    startsGroup,
    replyTo: event.redacted ? undefined : relation(event.content).inReplyTo,
    // A deleted message keeps no reactions (Element hides them too). Keyed by event ID: a local echo has none yet.
    reactions: event.redacted ? noReactions : (reactions ?? noReactions),
  };
}

/** Whether an event never has a row of its own: it folds into another (edits, reactions) or removes one (redactions). */
export function foldsIntoAnother(event: TimelineEvent): boolean {
  return event.type === 'm.room.redaction' || event.type === 'm.reaction' || editTarget(event) !== undefined;
}

/** Edits and reactions per target event ID, however they were gathered (a scan, or kept up to date one event at a time). */
export interface RowFolds {
  latestEdit(target: TimelineEvent): TimelineEvent | undefined;
  reactions(targetId: string): ReactionGroup[] | undefined;
}

/**
 * Turns events into rows one at a time, in timeline order: day separators and group starts follow from the rows
 * before, so appending an event to a built timeline costs only its own rows.
 */
export class TimelineRowBuilder {
  private lastMessage: TimelineEvent | undefined; // reset by anything that breaks a group
  private lastTs: number | undefined;

  constructor(
    private readonly nameOf: NameOf,
    private readonly folds: RowFolds,
  ) {}

  /** Appends the rows `event` adds (none when it folds into another or is a hidden state event) to `out`. */
  add(event: TimelineEvent, out: TimelineRow[]): void {
    if (foldsIntoAnother(event)) return;
    const isMessage = messageTypes.has(event.type) && !isVerificationRequest(event);
    const notice = isMessage ? undefined : describeStateEvent(event, this.nameOf);
    if (!isMessage && notice === undefined) return;

    if (this.lastTs === undefined || !sameDay(this.lastTs, event.ts)) {
      out.push({ kind: 'day', key: `day-${dayKey(event.ts)}`, ts: event.ts });
      this.lastMessage = undefined;
    }
    this.lastTs = event.ts;

    if (notice !== undefined) {
      out.push({ kind: 'notice', key: rowKey(event), event, text: notice });
      this.lastMessage = undefined;
      return;
    }
    const startsGroup = !this.lastMessage || !continuesGroup(this.lastMessage, event);
    out.push(messageRow(event, startsGroup, this.folds.latestEdit(event), this.folds.reactions(event.id)));
    this.lastMessage = event;
  }
}

/** Edits and reactions of a run of events, gathered per target. */
export function foldsOf(
  events: readonly TimelineEvent[],
): RowFolds & { edits: Map<string, TimelineEvent[]>; annotations: Map<string, TimelineEvent[]> } {
  const edits = new Map<string, TimelineEvent[]>();
  const annotations = new Map<string, TimelineEvent[]>();
  for (const event of events) {
    const target = editTarget(event);
    if (target) {
      const list = edits.get(target);
      if (list) list.push(event);
      else edits.set(target, [event]);
      continue;
    }
    const annotation = annotationOf(event);
    if (annotation) {
      const list = annotations.get(annotation.target);
      if (list) list.push(event);
      else annotations.set(annotation.target, [event]);
    }
  }
  return {
    edits,
    annotations,
    latestEdit: (target) => latestEditOf(target, edits.get(target.id)),
    reactions: (targetId) => {
      const list = annotations.get(targetId);
      return list ? aggregateReactions(list).get(targetId) : undefined;
    },
  };
}

/**
 * Builds the rows for a run of events in timeline order. Edits fold into their target (latest edit by
 * the same identity wins), redactions and hidden state vanish, day separators and group starts are set.
 */
export function buildTimelineRows(events: readonly TimelineEvent[], nameOf: NameOf): TimelineRow[] {
  const builder = new TimelineRowBuilder(nameOf, foldsOf(events));
  const rows: TimelineRow[] = [];
  for (const event of events) builder.add(event, rows);
  return rows;
}

/** The newest message of `identity` that may still be edited (sent, not redacted), for the Up-arrow edit. */
export function lastEditableMessage(rows: readonly TimelineRow[], identity: string): Extract<TimelineRow, { kind: 'message' }> | undefined {
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.kind !== 'message') continue;
    if (row.event.identity !== identity || row.event.redacted || row.event.status !== 'sent') continue;
    const msgtype = row.content.msgtype;
    if (msgtype === 'm.text' || msgtype === 'm.emote' || msgtype === 'm.notice') return row;
  }
  return undefined;
}

/** Who is sending: pending uploads are the user's own messages. */
export interface OwnSender {
  sender: string;
  identity: string;
}

/**
 * Pending image uploads as rows after the timeline's own (local echoes included), in the order they started:
 * at the bottom, grouped with the user's messages just above, under a day separator when the day changed.
 * An upload whose event already has a row (same transaction ID) is left out: one copy, never two.
 */
export function withPendingUploads(rows: readonly TimelineRow[], uploads: readonly PendingImage[], own: OwnSender): TimelineRow[] {
  if (uploads.length === 0) return rows as TimelineRow[];
  const keys = new Set(rows.map((r) => r.key));
  const out = rows.slice();
  for (const upload of [...uploads].sort((a, b) => a.ts - b.ts)) {
    if (keys.has(upload.id)) continue;
    const last = out[out.length - 1];
    const previous = last && last.kind !== 'day' ? last.event : undefined;
    if (!previous || !sameDay(previous.ts, upload.ts)) out.push({ kind: 'day', key: `day-${dayKey(upload.ts)}`, ts: upload.ts });
    const event: TimelineEvent = {
      id: upload.id,
      txnId: upload.id,
      type: 'm.room.message',
      sender: own.sender,
      identity: own.identity,
      ts: upload.ts,
      content: { msgtype: upload.msgtype, body: upload.name },
      redacted: false,
      status: upload.status === 'failed' ? 'failed' : 'sending',
    };
    const continues = previous !== undefined && (last!.kind === 'message' || last!.kind === 'upload') && continuesGroup(previous, event);
    out.push({ kind: 'upload', key: upload.id, event, upload, startsGroup: !continues });
  }
  return out;
}
