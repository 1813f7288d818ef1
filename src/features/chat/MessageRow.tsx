import { memo, useContext, useId, useState, type ReactNode } from 'react';
import { t } from '../../i18n';
import type { MessageRowData, ReplyPreview, UploadRowData } from '../../domain/room/roomViewModel';
import { FileCard, ImageInBox, MessageBody, imageBox } from './MessageBody';
import { formatBytes } from '../../domain/room/imageUpload';
import { Avatar } from '../../ui/Avatar';
import type { SenderProfile } from '../../domain/identity/describeSender';
import { HandleBadge, SameNameWarning } from '../identity/HandleBadge';
import { SenderName, SenderNames } from '../identity/SenderName';
import { ReactButton, ReactionPills, type ReactorName } from './Reactions';
import { MentionContext } from './Pills';
import { mentionsUser } from '../../domain/room/mentions';
import type { HiddenReason } from '../../domain/room/quotes';
import type { TimelineEvent } from '../../domain/room/timeline';
import { useChat } from '../../state/chatStore';
import { ThreadSummaryLine } from './ThreadSummary';

export interface MessageActions {
  onReply(row: MessageRowData): void;
  onEdit(row: MessageRowData): void;
  onDelete(row: MessageRowData): void;
  onRetry(row: MessageRowData): void;
  onDiscard(row: MessageRowData): void;
  /** Opens the identity inspector for the sender. */
  onInspect(row: MessageRowData): void;
  /** Adds your reaction with `key`, or takes yours back when there is one. */
  onToggleReaction(row: MessageRowData, key: string): void;
  /** Asks to see a quoted message our server hid (the view warns first). */
  onRevealQuote(reply: Extract<ReplyPreview, { kind: 'hidden' }>): void;
  /** Opens the message's thread to reply in it (the room's timeline has it; a thread's own rows don't). */
  onThread?(row: MessageRowData): void;
}

export type { ReplyPreview };

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

export function DaySeparator({ ts }: { ts: number }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: an <hr> can't hold the date it announces
    <div role="separator" aria-label={dayFormat.format(ts)} className="flex items-center gap-3 px-4 py-2 text-xs font-medium text-subtle">
      <span className="h-px flex-1 bg-surface-strong" />
      {dayFormat.format(ts)}
      <span className="h-px flex-1 bg-surface-strong" />
    </div>
  );
}

/** The "New messages" line: everything below it came after the fully-read marker. Focusable, for "Jump to first unread". */
export function NewMessagesLine() {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a <fieldset> is for form controls; this is the focus target of a jump
    <div
      role="group"
      aria-label={t('chat.newMessages')}
      tabIndex={-1}
      data-new-messages=""
      className="focus-visible:outline-2 focus-visible:outline-indigo-500"
    >
      {/* biome-ignore lint/a11y/useSemanticElements: an <hr> can't hold the words it announces */}
      <div
        role="separator"
        aria-label={t('chat.newMessages')}
        className="flex items-center gap-3 px-4 py-1 text-xs font-semibold text-danger-fg"
      >
        <span className="h-px flex-1 bg-danger-line" />
        {t('chat.newMessages')}
        <span className="h-px flex-1 bg-danger-line" />
      </div>
    </div>
  );
}

/**
 * A compact line for a state change. A membership notice carries its member's handle, or the badge that stands
 * in its place, and the look-alike warning: an impostor's "joined" line must not read like the real member's.
 * A change to a member's identity opens the inspector; a change sent by a member whose link was unverified then
 * is marked (it is in force all the same).
 */
export function NoticeRow({
  text,
  ts,
  subject,
  unverifiedActor,
  onInspect,
  action,
  warning,
}: {
  text: string;
  ts: number;
  subject?: SenderProfile;
  unverifiedActor?: boolean;
  onInspect?(): void;
  /** What the notice asks of the reader (an identity reset's OK / Withdraw verification), given the text's id. */
  action?: (describedBy: string) => ReactNode;
  warning?: boolean;
}) {
  const textId = useId();
  const showBadge = subject && subject.badge.kind !== 'plain';
  return (
    <div
      data-notice
      data-identity-notice={onInspect ? '' : undefined}
      data-unverified-actor={unverifiedActor ? '' : undefined}
      data-warning={warning ? '' : undefined}
      className={`flex flex-wrap items-baseline gap-x-1.5 gap-y-0.5 px-4 py-0.5 pl-14 text-xs ${warning ? 'font-medium text-warning' : 'text-subtle'}`}
    >
      {onInspect ? (
        <button
          type="button"
          className="rounded text-left underline decoration-dotted underline-offset-2 hover:text-fg focus-visible:outline-2 focus-visible:outline-indigo-500"
          aria-label={t('identity.notice.open', { text })}
          onClick={onInspect}
        >
          <bdi id={textId}>{text}</bdi>
        </button>
      ) : (
        <bdi id={textId}>{text}</bdi>
      )}
      {action?.(textId)}
      {showBadge && <HandleBadge badge={subject.badge} />}
      {subject && <SameNameWarning profile={subject} />}
      {unverifiedActor && (
        <span
          role="img"
          aria-label={t('timeline.byUnverifiedName')}
          title={t('timeline.byUnverifiedName')}
          className="rounded-full border border-warning-line bg-warning-surface px-1.5 font-medium text-warning-fg"
        >
          {t('timeline.byUnverified')}
        </span>
      )}
      <span className="opacity-70">· {timeFormat.format(ts)}</span>
    </div>
  );
}

function hiddenReasonText(reason: HiddenReason): string {
  switch (reason) {
    case 'unverified':
      return t('chat.reply.hidden.unverified');
    case 'pending':
      return t('chat.reply.hidden.pending');
    case 'refused':
      return t('chat.reply.hidden.refused');
  }
}

/** The quoted sender as the timeline shows senders: name, then the handle or the badge in its place, then look-alikes. */
function QuotedSender({ profile }: { profile: SenderProfile }) {
  return (
    <span className="flex min-w-0 flex-wrap items-baseline gap-x-1.5">
      <SenderName name={profile.name} className="truncate font-medium text-fg-soft" />
      <HandleBadge badge={profile.badge} />
      <SameNameWarning profile={profile} />
    </span>
  );
}

/**
 * A reply's quote. A message our server hid (soft-failed) says so and why, and offers to show it: the view warns
 * before it is fetched. One revealed that way keeps a mark saying so.
 */
export function ReplyQuote({ reply, onReveal }: { reply: ReplyPreview; onReveal(reply: Extract<ReplyPreview, { kind: 'hidden' }>): void }) {
  const frame = 'my-1 border-l-2 border-line-strong pl-2 text-sm text-subtle';
  switch (reply.kind) {
    case 'loading':
    case 'missing':
      return (
        <blockquote className={frame} data-quote={reply.kind}>
          <span className="font-medium">{t('chat.reply.unknownSender')}</span>:{' '}
          {reply.kind === 'loading' ? t('chat.reply.loading') : t('chat.reply.notLoaded')}
        </blockquote>
      );
    case 'message':
      return (
        <blockquote className={frame} data-quote={reply.revealed ? 'revealed' : 'message'}>
          <QuotedSender profile={reply.profile} />
          {reply.revealed && (
            <span className="mr-1 inline-block rounded-full border border-warning-line bg-warning-surface px-1.5 text-xs text-warning-fg">
              {t('chat.reply.revealedMark')}
            </span>
          )}
          <span className="line-clamp-2">{reply.text}</span>
        </blockquote>
      );
    case 'hidden':
      return (
        <blockquote className={frame} data-quote="hidden">
          {reply.profile ? <QuotedSender profile={reply.profile} /> : <span className="font-medium">{t('chat.reply.unknownSender')}</span>}
          <span className="flex flex-wrap items-baseline gap-x-2">
            <span className="italic">{hiddenReasonText(reply.reason)}</span>
            {reply.revealFailed && (
              <span role="alert" className="text-danger">
                {t('chat.reply.revealFailed')}
              </span>
            )}
            <button
              type="button"
              className="rounded text-xs font-medium underline hover:text-fg focus-visible:outline-2 focus-visible:outline-indigo-500 disabled:no-underline disabled:opacity-60"
              aria-label={t('chat.reply.revealLabel')}
              disabled={reply.revealing}
              onClick={() => onReveal(reply)}
            >
              {reply.revealing ? t('chat.reply.revealing') : t('chat.reply.reveal')}
            </button>
          </span>
        </blockquote>
      );
  }
}

const actionButton =
  'rounded px-1.5 py-0.5 text-xs text-muted hover:bg-surface-strong focus-visible:outline-2 focus-visible:outline-indigo-500';

const undecryptableText = {
  decrypting: () => t('chat.undecryptable.decrypting'),
  waiting: () => t('chat.undecryptable.waiting'),
  beforeJoin: () => t('chat.undecryptable.beforeJoin'),
  fromBackup: () => t('chat.undecryptable.fromBackup'),
  beforeDevice: () => t('chat.undecryptable.beforeDevice'),
  unverifiedDevice: () => t('chat.undecryptable.unverifiedDevice'),
} as const;

function Undecryptable({ reason }: { reason: unknown }) {
  const text = undecryptableText[reason as keyof typeof undecryptableText] ?? undecryptableText.waiting;
  return (
    <p data-testid="undecryptable" data-reason={String(reason)} className="whitespace-pre-wrap break-words italic text-subtle">
      {text()}
    </p>
  );
}

export const MessageRow = memo(function MessageRow({
  row,
  profile,
  isOwn,
  canDelete,
  readers,
  reply,
  actions,
  myIdentity,
  reactorName,
}: {
  row: MessageRowData;
  profile: SenderProfile;
  myIdentity: string;
  reactorName: ReactorName;
  isOwn: boolean;
  canDelete: boolean;
  readers?: readonly string[];
  reply?: ReplyPreview;
  actions: MessageActions;
}) {
  const { event } = row;
  const deleted = event.redacted;
  const mentions = useContext(MentionContext);
  // A message that mentions you (by name in m.mentions, or @room) stands out, as in Element; never your own.
  const mentionsMe = !isOwn && !deleted && mentions !== null && mentionsUser(row.content, mentions.myUserId);
  // An encrypted message this device can't read (yet): it says why, and fills in when its key arrives.
  const unreadable = event.type === 'm.room.encrypted';
  // The actions are made when they are first wanted: the pointer comes over the row, or focus comes into it (Tab, a
  // tap). Most rows are only read, and a toolbar in each made a third of every new row's elements and layout.
  const [actionsWanted, wantActions] = useState(false);
  const showActions = actionsWanted ? undefined : () => wantActions(true);
  const time = timeFormat.format(event.ts);
  return (
    <article
      aria-label={t('chat.message.label', { name: profile.name, time })}
      aria-describedby={mentionsMe ? `mentions-you-${event.id}` : undefined}
      data-event-id={event.id}
      data-mentions-me={mentionsMe || undefined}
      // In the Tab order, as articles in a feed are: focus on the row brings its actions, which come next (a tap does
      // the same on a phone).
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a message is where the keyboard reaches its actions
      tabIndex={0}
      onPointerEnter={showActions}
      onFocus={showActions}
      className={`group relative flex gap-3 px-4 outline-none focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-500 ${
        mentionsMe ? 'border-l-4 border-danger-line bg-danger-surface/40 pl-3 hover:bg-danger-surface/60' : 'hover:bg-surface-sunken'
      } ${row.startsGroup ? 'mt-2 pt-1' : ''}`}
    >
      {mentionsMe && (
        <span id={`mentions-you-${event.id}`} className="sr-only">
          {t('chat.message.mentionsYou')}
        </span>
      )}
      {/* The avatar is the column itself (32 px wide, as the empty column of a message that continues a group). */}
      {row.startsGroup ? (
        <Avatar name={profile.name} mxc={profile.avatarMxc} seed={profile.identity} size={32} />
      ) : (
        <div className="w-8 shrink-0" />
      )}
      <div className="min-w-0 flex-1 pb-0.5">
        {row.startsGroup && (
          <header className="flex min-w-0 flex-wrap items-baseline gap-x-2">
            <button
              className="truncate font-semibold hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500"
              aria-label={t('members.showIdentity', { name: profile.name })}
              onClick={() => actions.onInspect(row)}
            >
              <SenderName name={profile.name} />
            </button>
            <HandleBadge badge={profile.badge} />
            {profile.warnings.length > 0 && <SameNameWarning profile={profile} />}
            <time className="text-xs text-subtle" dateTime={new Date(event.ts).toISOString()}>
              {time}
            </time>
          </header>
        )}
        {reply && <ReplyQuote reply={reply} onReveal={actions.onRevealQuote} />}
        {deleted ? (
          <p className="italic text-subtle">{t('chat.deleted')}</p>
        ) : unreadable ? (
          <Undecryptable reason={row.content.reason} />
        ) : (
          <MessageBody content={row.content} senderName={profile.name} sending={event.status === 'sending'} />
        )}
        {(row.edited || event.status !== 'sent' || (readers && readers.length > 0)) && (
          <div className="flex flex-wrap items-center gap-x-2 text-xs text-subtle">
            {row.edited && <span>{t('chat.message.edited')}</span>}
            <SendState event={event} onRetry={() => actions.onRetry(row)} onDiscard={() => actions.onDiscard(row)} />
            {readers && readers.length > 0 && (
              <span>
                Seen by <SenderNames names={readers} />
              </span>
            )}
          </div>
        )}
        {!deleted && row.reactions.length > 0 && (
          <ReactionPills
            groups={row.reactions}
            myIdentity={myIdentity}
            nameOf={reactorName}
            onToggle={(key) => actions.onToggleReaction(row, key)}
          />
        )}
        {!deleted && actions.onThread && <ThreadSummaryLine rootId={event.id} />}
        {actionsWanted && !deleted && event.status === 'sent' && (
          // Narrow screens: in the flow under the message, shown while the focus is in the message (a tap, Tab).
          <div className="-ml-1.5 hidden gap-1 group-focus-within:flex md:flex md:absolute md:right-3 md:top-0 md:ml-0 md:rounded-md md:border md:border-line md:bg-surface-raised md:px-1 md:opacity-0 md:shadow-sm md:group-hover:opacity-100 md:group-focus-within:opacity-100">
            <ReactButton className={actionButton} onPick={(key) => actions.onToggleReaction(row, key)} />
            <button
              className={actionButton}
              aria-label={t('chat.message.replyTo', { name: profile.name })}
              onClick={() => actions.onReply(row)}
            >
              {t('chat.message.reply')}
            </button>
            {actions.onThread && (
              <button
                className={actionButton}
                aria-label={t('threads.replyInThreadLabel', { name: profile.name })}
                onClick={() => actions.onThread?.(row)}
              >
                {t('threads.replyInThread')}
              </button>
            )}
            {isOwn && !unreadable && (
              <button className={actionButton} aria-label={t('chat.message.editLabel')} onClick={() => actions.onEdit(row)}>
                {t('chat.message.edit')}
              </button>
            )}
            {canDelete && (
              <button className={actionButton} aria-label={t('chat.message.deleteLabel')} onClick={() => actions.onDelete(row)}>
                {t('chat.message.delete')}
              </button>
            )}
          </div>
        )}
      </div>
    </article>
  );
});

/**
 * An image still uploading, laid out like the user's own message it becomes (same avatar column, header and
 * image box): progress and Cancel while the bytes travel; "Not sent" with Retry and Remove when it failed.
 */
export const PendingImageRow = memo(function PendingImageRow({
  row,
  profile,
  onRetry,
  onRemove,
}: {
  row: UploadRowData;
  profile: SenderProfile;
  onRetry(id: string): void;
  onRemove(id: string): void;
}) {
  const { upload } = row;
  const percent = upload.total > 0 ? Math.min(100, Math.floor((upload.loaded / upload.total) * 100)) : 0;
  return (
    <article
      aria-label={t('chat.message.label', { name: profile.name, time: timeFormat.format(upload.ts) })}
      data-upload={upload.status}
      tabIndex={-1}
      className={`group relative flex gap-3 px-4 outline-none ${row.startsGroup ? 'mt-2 pt-1' : ''}`}
    >
      {/* The avatar is the column itself (32 px wide, as the empty column of a message that continues a group). */}
      {row.startsGroup ? (
        <Avatar name={profile.name} mxc={profile.avatarMxc} seed={profile.identity} size={32} />
      ) : (
        <div className="w-8 shrink-0" />
      )}
      <div className="min-w-0 flex-1 pb-0.5">
        {row.startsGroup && (
          <header className="flex min-w-0 flex-wrap items-baseline gap-x-2">
            <SenderName name={profile.name} className="truncate font-semibold" />
            <HandleBadge badge={profile.badge} />
            <time className="text-xs text-subtle" dateTime={new Date(upload.ts).toISOString()}>
              {timeFormat.format(upload.ts)}
            </time>
          </header>
        )}
        {upload.msgtype === 'm.image' ? (
          <ImageInBox
            src={upload.w !== undefined ? upload.previewUrl : undefined}
            alt={upload.name}
            box={imageBox(upload)}
            className={upload.status === 'uploading' ? 'opacity-60' : ''}
          />
        ) : (
          <div className={upload.status === 'uploading' ? 'opacity-60' : ''}>
            <FileCard content={{ msgtype: upload.msgtype, body: upload.name, info: { size: upload.total, duration: upload.duration } }} />
          </div>
        )}
        <div className="flex flex-wrap items-center gap-x-2 text-xs text-subtle">
          {upload.status === 'uploading' ? (
            <>
              <progress
                className="h-1.5 w-24 accent-indigo-600"
                max={100}
                value={percent}
                aria-label={t('chat.upload.progress', { name: upload.name, percent })}
              />
              {/* A live region inside the live log: it changes in steps of 10 % so a screen reader isn't read every byte. */}
              <span role="status">
                {t('chat.upload.status', { percent: Math.floor(percent / 10) * 10, size: formatBytes(upload.total) })}
              </span>
              <button
                className="underline"
                aria-label={t('chat.upload.cancelLabel', { name: upload.name })}
                onClick={() => onRemove(upload.id)}
              >
                {t('common.cancel')}
              </button>
            </>
          ) : (
            <span role="alert" className="text-danger">
              {t('chat.upload.notSent', { error: upload.error ?? '' })}{' '}
              <button className="font-medium underline" onClick={() => onRetry(upload.id)}>
                {t('chat.message.retry')}
              </button>{' '}
              <button className="underline" onClick={() => onRemove(upload.id)}>
                {t('chat.message.discard')}
              </button>
            </span>
          )}
        </div>
      </div>
    </article>
  );
});

/**
 * Where an own message is on its way. While the server is out of reach, a message that waits (or failed for that
 * reason) says so rather than "Sending…" for ever: it goes out by itself once the connection is back.
 */
function SendState({ event, onRetry, onDiscard }: { event: TimelineEvent; onRetry: () => void; onDiscard: () => void }) {
  const connected = useChat((s) => s.connection === 'syncing');
  if (event.status === 'sent') return null;
  if (!connected && (event.status === 'sending' || event.retryable))
    return (
      <span role="status" className="text-warning" data-send-state="waiting">
        {t('chat.message.waiting')}{' '}
        <button className="underline" onClick={onDiscard}>
          {t('chat.message.discard')}
        </button>
      </span>
    );
  if (event.status === 'sending') return <span role="status">{t('chat.message.sending')}</span>;
  return (
    <span role="alert" className="text-danger">
      {t('chat.message.notSent')}{' '}
      <button className="font-medium underline" onClick={onRetry}>
        {t('chat.message.retry')}
      </button>{' '}
      <button className="underline" onClick={onDiscard}>
        {t('chat.message.discard')}
      </button>
    </span>
  );
}
