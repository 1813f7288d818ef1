// Search the open room's messages (server-side POST /search): a modal on the native <dialog> (focus trapped,
// Escape closes, focus goes back to the Search button), results newest first with the sender as the timeline
// shows them, the date, the matched words marked, and the message before and after. "Load more" follows next_batch.
// Each result is a button (Tab or the arrow keys reach it; Enter opens the message in its room, however far back).
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { t } from '../../i18n';
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { describeMatrixError } from '../../matrix/errors';
import { useModalDialog } from '../../ui/Dialog';
import { iconButton, inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { roomIdentities } from '../../domain/room/roomIdentities';
import { useIdentityFacts } from '../identity/useIdentityFacts';
import { openRoom } from '../../state/navigation';
import { SenderName } from '../identity/SenderName';
import { HandleBadge } from '../identity/HandleBadge';
import {
  appendPage,
  highlightSegments,
  roomSearchBody,
  searchDecrypted,
  toSearchPage,
  type SearchHitRow,
  type SearchLine,
  type SearchPage,
} from './searchResults';

type SearchState =
  | { phase: 'idle' }
  | { phase: 'searching'; term: string }
  | { phase: 'done'; term: string; page: SearchPage; loadingMore: boolean; moreError?: string }
  | { phase: 'failed'; term: string; error: string };

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function fetchPage(client: MatrixClient, roomId: string, term: string, nextBatch?: string): Promise<SearchPage> {
  const room = client.getRoom(roomId);
  // The server can't search what it can't read: an encrypted room is searched here, in what this browser decrypted.
  if (room?.hasEncryptionStateEvent()) {
    const clear = room
      .getLiveTimeline()
      .getEvents()
      .filter((e) => !e.isDecryptionFailure() && !e.isRedacted() && !e.isRelation('m.replace'))
      .map((e) => e.getEffectiveEvent());
    return searchDecrypted(clear, term);
  }
  const body = roomSearchBody(roomId, term);
  return toSearchPage(await client.search({ body: body as never, ...(nextBatch ? { next_batch: nextBatch } : {}) }));
}

/** The room header's button: a magnifier on a phone (the room name needs the width), the word on wider screens. */
export function SearchButton({ onClick }: { onClick: () => void }) {
  return (
    <button className={iconButton} aria-label={t('search.open')} title={t('search.openTitle')} onClick={onClick}>
      <svg aria-hidden viewBox="0 0 20 20" className="h-5 w-5 @2xl:hidden" fill="none" stroke="currentColor" strokeWidth="2">
        <circle cx="8.5" cy="8.5" r="5.5" />
        <path d="m13 13 4.5 4.5" strokeLinecap="round" />
      </svg>
      <span aria-hidden className="hidden @2xl:inline">
        {t('search.open')}
      </span>
    </button>
  );
}

export function SearchPanel({ client, room, onClose }: { client: MatrixClient; room: Room; onClose: () => void }) {
  const ref = useModalDialog();
  const input = useRef<HTMLInputElement>(null);
  // showModal() (in useModalDialog's effect, which runs first) focuses the first control, the close button: start in the box instead.
  useEffect(() => input.current?.focus(), []);
  const [text, setText] = useState('');
  const [state, setState] = useState<SearchState>({ phase: 'idle' });
  // Only the latest search may write its answer: a slow earlier one must not replace it.
  const generation = useRef(0);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const term = text.trim();
    if (!/[\p{L}\p{N}]/u.test(term)) {
      setState({ phase: 'failed', term, error: t('search.noWords') });
      return;
    }
    const mine = ++generation.current;
    setState({ phase: 'searching', term });
    try {
      const page = await fetchPage(client, room.roomId, term);
      if (mine === generation.current) setState({ phase: 'done', term, page, loadingMore: false });
    } catch (error) {
      if (mine === generation.current) setState({ phase: 'failed', term, error: describeMatrixError(error, t('search.failed')) });
    }
  };

  const loadMore = async () => {
    if (state.phase !== 'done' || !state.page.nextBatch || state.loadingMore) return;
    const mine = generation.current;
    setState({ ...state, loadingMore: true, moreError: undefined });
    try {
      const next = await fetchPage(client, room.roomId, state.term, state.page.nextBatch);
      if (mine === generation.current) setState({ ...state, page: appendPage(state.page, next), loadingMore: false });
    } catch (error) {
      if (mine === generation.current)
        setState({ ...state, loadingMore: false, moreError: describeMatrixError(error, t('search.moreFailed')) });
    }
  };

  return (
    <dialog
      ref={ref}
      aria-label={t('search.dialog', { room: room.name })}
      onClose={onClose}
      // A search box swallows Escape (it clears the box): Escape closes the search from anywhere in it.
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.preventDefault();
        ref.current?.close();
      }}
      className="m-0 h-dvh max-h-none w-full max-w-none bg-surface-raised p-0 text-fg shadow-xl backdrop:bg-black/50 sm:m-auto sm:h-[min(40rem,calc(100dvh-2rem))] sm:w-[min(40rem,calc(100vw-2rem))] sm:rounded-lg"
    >
      <div className="flex h-full flex-col">
        <div className="flex items-center gap-2 border-b border-line px-3 py-2">
          <h2 className="min-w-0 flex-1 truncate text-lg font-semibold">{t('search.heading', { room: room.name })}</h2>
          <button className={iconButton} aria-label={t('search.close')} onClick={() => ref.current?.close()}>
            ✕
          </button>
        </div>
        {/* biome-ignore lint/a11y/useSemanticElements: a form with role=search is the landmark every browser knows; <search> is new */}
        <form role="search" className="flex gap-2 px-3 py-3" onSubmit={(e) => void submit(e)}>
          <input
            type="search"
            aria-label={t('search.openTitle')}
            placeholder={t('search.placeholder')}
            className={inputClass}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => e.key === 'ArrowDown' && moveBetweenResults(e)}
            ref={input}
          />
          <button type="submit" className={primaryButton} disabled={state.phase === 'searching'}>
            {t('search.submit')}
          </button>
        </form>
        <div className="min-h-0 flex-1 overflow-y-auto px-3 pb-3">
          <SearchBody state={state} room={room} onLoadMore={() => void loadMore()} onOpen={() => ref.current?.close()} />
        </div>
      </div>
    </dialog>
  );
}

function SearchBody({ state, room, onLoadMore, onOpen }: { state: SearchState; room: Room; onLoadMore: () => void; onOpen: () => void }) {
  switch (state.phase) {
    case 'idle':
      return <p className="text-sm text-subtle">{t('search.idle')}</p>;
    case 'searching':
      return (
        <p role="status" className="text-sm text-subtle">
          {t('search.searching', { term: state.term })}
        </p>
      );
    case 'failed':
      return (
        <p role="alert" className="text-sm text-danger">
          {state.error}
        </p>
      );
    case 'done': {
      const { page } = state;
      if (page.rows.length === 0) {
        return (
          <p role="status" className="text-sm text-subtle">
            {t('search.none', { term: state.term })}
          </p>
        );
      }
      return (
        <>
          <p role="status" className="mb-2 text-sm text-subtle">
            {t('search.count', { count: page.count, term: state.term })}
          </p>
          <ol aria-label={t('search.results')} className="space-y-2">
            {page.rows.map((row) => (
              <SearchResult key={row.eventId} row={row} room={room} highlights={page.highlights} onOpen={onOpen} />
            ))}
          </ol>
          {page.nextBatch && (
            <button className={`${secondaryButton} mt-3 w-full`} disabled={state.loadingMore} onClick={onLoadMore}>
              {state.loadingMore ? t('search.loadingMore') : t('search.loadMore')}
            </button>
          )}
          {state.moreError && (
            <p role="alert" className="mt-2 text-sm text-danger">
              {state.moreError}
            </p>
          )}
        </>
      );
    }
  }
}

/** Moves the focus between result buttons with the arrow keys (Tab walks them too). */
function moveBetweenResults(e: KeyboardEvent<HTMLElement>): void {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const list = e.currentTarget.closest('dialog')?.querySelectorAll<HTMLButtonElement>('button[data-event-id]');
  if (!list || list.length === 0) return;
  const buttons = [...list];
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = at < 0 ? (e.key === 'ArrowDown' ? 0 : -1) : at + (e.key === 'ArrowDown' ? 1 : -1);
  if (at >= 0 && (next < 0 || next >= buttons.length)) return;
  e.preventDefault();
  buttons.at(next)?.focus();
}

/** A hit is a button: Enter, Space or a click opens its event's route (`#/room/{id}/{eventId}`), the message in its room. */
function SearchResult({ row, room, highlights, onOpen }: { row: SearchHitRow; room: Room; highlights: string[]; onOpen: () => void }) {
  const profile = roomIdentities(room).profile(row.sender, useIdentityFacts(room.roomId));
  const id = useId();
  const date = dateFormat.format(row.ts);
  const described = [row.before && `${id}-before`, row.after && `${id}-after`].filter(Boolean).join(' ');
  return (
    <li>
      <button
        type="button"
        aria-label={t('search.result', { name: profile.name, date, text: row.text })}
        aria-describedby={described || undefined}
        className="block w-full rounded-md border border-line p-2 text-left hover:bg-surface-sunken focus-visible:outline-2 focus-visible:outline-indigo-500"
        data-event-id={row.eventId}
        onKeyDown={moveBetweenResults}
        onClick={() => {
          onOpen();
          openRoom(room.roomId, { eventId: row.eventId });
        }}
      >
        {row.before && <ContextLine id={`${id}-before`} line={row.before} room={room} label={t('search.before')} />}
        <span className="flex min-w-0 flex-wrap items-baseline gap-x-2">
          <SenderName name={profile.name} className="truncate font-semibold" />
          <HandleBadge badge={profile.badge} />
          <time className="text-xs text-subtle" dateTime={new Date(row.ts).toISOString()}>
            {date}
          </time>
          <span aria-hidden className="ml-auto text-xs text-accent">
            {t('search.showInRoom')}
          </span>
        </span>
        <span className="block whitespace-pre-wrap break-words">
          {row.kind !== 'message' && (
            <span className="text-sm text-subtle">{t(row.kind === 'name' ? 'search.roomName' : 'search.topic')} </span>
          )}
          <Highlighted text={row.text} words={highlights} />
        </span>
        {row.after && <ContextLine id={`${id}-after`} line={row.after} room={room} label={t('search.after')} />}
      </button>
    </li>
  );
}

function ContextLine({ id, line, room, label }: { id: string; line: SearchLine; room: Room; label: string }) {
  const name = roomIdentities(room).profile(line.sender, useIdentityFacts(room.roomId)).name;
  return (
    <span id={id} className="block truncate text-xs text-subtle">
      <span className="sr-only">{label}: </span>
      <SenderName name={name} className="font-medium" />: {line.text}
    </span>
  );
}

/** Text with the matched words in <mark>, built as React text nodes: nothing from a message is read as HTML. */
function Highlighted({ text, words }: { text: string; words: string[] }) {
  return (
    <>
      {highlightSegments(text, words).map((segment, i) =>
        segment.match ? (
          <mark key={i} className="rounded-sm bg-warning-strong px-0.5 text-warning-fg">
            {segment.text}
          </mark>
        ) : (
          <span key={i}>{segment.text}</span>
        ),
      )}
    </>
  );
}
