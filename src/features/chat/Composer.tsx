import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { t } from '../../i18n';
import { chatStore, selectComposerMode, useChat } from '../../state/chatStore';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import type { ThreadViewModel } from '../../domain/room/threads';
import {
  insertAtRoom,
  insertMention,
  insertRoomMention,
  matchMentions,
  matchRooms,
  mentionQuery,
  roomMentionQuery,
  type RoomCandidate,
} from '../identity/mentions';
import { mentionCandidates, mentionListId, mentionOptionId, MentionSuggestions, type Suggestion } from '../identity/MentionSuggestions';
import { useClient } from '../../ui/clientContext';
import { iconButton, primaryButton } from '../../ui/controls';
import { SenderName } from '../identity/SenderName';
import { EmojiPicker } from '../../ui/EmojiPicker';
import { SmileyIcon } from './Reactions';
import { selectCanMentionRoom, selectMembers, selectMyIdentity, useRoomView } from './useRoomViewModel';

const typingTimeoutMs = 5000;

/** The draft and reply/edit mode of a thread's message box, kept apart from the room's. */
export const threadComposerKey = (roomId: string, rootId: string) => `${roomId}|thread|${rootId}`;

/**
 * The message box of a room, or of one of its threads (`thread`: replies go there, as m.thread relations; mentions,
 * emoji and attachments work the same). Drafts and the reply/edit mode are chat view state; sending is the room's
 * (or the thread's) view model's.
 * Memoised: it re-renders for its own slices (mode, members, draft), not for every new row of the timeline.
 */
export const Composer = memo(function Composer({
  vm,
  roomName,
  thread,
}: {
  vm: RoomViewModel;
  roomName: string;
  thread?: { rootId: string; model: ThreadViewModel };
}) {
  const roomId = vm.getState().roomId;
  const key = thread ? threadComposerKey(roomId, thread.rootId) : roomId;
  const mode = useChat(selectComposerMode(key));
  const text = useChat((s) => s.drafts[key] ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);
  const typingSince = useRef(0);
  const [composing, setComposing] = useState(false);
  const myIdentity = useRoomView(vm, selectMyIdentity);
  const members = useRoomView(vm, selectMembers);
  // Mentions autocomplete: the @query before the caret, matched against the room's members (one per key) and
  // @room when your power level allows it; or the #query, matched against your rooms.
  const client = useClient();
  const canMentionRoom = useRoomView(vm, selectCanMentionRoom);
  const [caret, setCaret] = useState(0);
  const [mentionActive, setMentionActive] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number>();
  const userQuery = mentionQuery(text, caret);
  const roomQuery = userQuery ? undefined : roomMentionQuery(text, caret);
  const query = userQuery ?? roomQuery;
  const queryText = query?.query;
  const queryStart = query?.start;
  const queryKind = userQuery ? 'user' : roomQuery ? 'room' : undefined;
  const candidates = useMemo(() => mentionCandidates(members, myIdentity), [members, myIdentity]);
  const mentionOptions = useMemo((): Suggestion[] => {
    if (queryText === undefined || queryStart === dismissedAt) return [];
    if (queryKind === 'room') {
      const rooms: RoomCandidate[] = client
        .getRooms()
        .filter((r) => r.getMyMembership() === 'join')
        .map((r) => ({ roomId: r.roomId, name: r.name, alias: r.getCanonicalAlias() ?? undefined }));
      return matchRooms(rooms, queryText).map((room) => ({ kind: 'room', room }));
    }
    const people: Suggestion[] = matchMentions(candidates, queryText).map((candidate) => ({ kind: 'user', candidate }));
    if (!canMentionRoom || !'room'.startsWith(queryText.toLocaleLowerCase())) return people;
    return queryText === '' ? [...people, { kind: 'atroom' }] : [{ kind: 'atroom' }, ...people];
  }, [candidates, queryText, queryStart, queryKind, dismissedAt, canMentionRoom, client]);
  const showMentions = mentionOptions.length > 0;
  const fileInput = useRef<HTMLInputElement>(null);
  const emojiButton = useRef<HTMLButtonElement>(null);
  const [emojiOpen, setEmojiOpen] = useState(false);

  /** An emoji from the picker goes in at the caret (replacing a selection), and the focus comes back here. */
  function insertEmoji(emoji: string) {
    const el = ref.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + emoji + text.slice(end);
    setText(next);
    setEmojiOpen(false);
    const at = start + emoji.length;
    setCaret(at);
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(at, at);
    });
  }

  /** Picked or pasted files: each is size-checked, uploaded with progress and sent (dropped ones: ChatView). */
  function attach(files: Iterable<File>) {
    vm.getState().sendFiles(files, thread?.rootId);
  }

  function pickMention(option: Suggestion) {
    if (!query) return;
    const next =
      option.kind === 'user'
        ? insertMention(text, query.start, caret, option.candidate)
        : option.kind === 'room'
          ? insertRoomMention(text, query.start, caret, option.room, client.getDomain() ?? '')
          : insertAtRoom(text, query.start, caret);
    setText(next.text);
    setCaret(next.caret);
    setMentionActive(0);
    caretAfterRender.current = next.caret;
  }
  // The caret after a picked mention, placed as soon as the new text is in the box: set a frame later, it moved back
  // over what a fast typist had typed since (the reply read "@bob ring the tent?b").
  const caretAfterRender = useRef<number | undefined>(undefined);
  useLayoutEffect(() => {
    const at = caretAfterRender.current;
    if (at === undefined) return;
    caretAfterRender.current = undefined;
    ref.current?.setSelectionRange(at, at);
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new mode (reply, edit) puts the focus back in the composer
  useEffect(() => {
    ref.current?.focus();
  }, [mode]);

  // Grow with the text up to a limit.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the height is measured again whenever the text changes
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  }, [text]);

  function setText(value: string) {
    chatStore.getState().setDraft(key, value);
    const now = Date.now();
    if (value && now - typingSince.current > typingTimeoutMs - 1000) {
      typingSince.current = now;
      vm.getState().sendTyping(true);
    } else if (!value && typingSince.current) {
      stopTyping();
    }
  }

  function stopTyping() {
    if (!typingSince.current) return;
    typingSince.current = 0;
    vm.getState().sendTyping(false);
  }

  function send() {
    if (!thread) {
      if (vm.getState().send(text, mode)) stopTyping();
      return;
    }
    if (!thread.model.getState().send(text, mode.kind === 'edit' ? mode : { kind: 'normal' })) return;
    chatStore.getState().setDraft(key, '');
    chatStore.getState().setComposerMode(key, { kind: 'normal' });
    stopTyping();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (composing || event.nativeEvent.isComposing) return;
    if (showMentions) {
      const active = Math.min(mentionActive, mentionOptions.length - 1);
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        setMentionActive((active + (event.key === 'ArrowDown' ? 1 : mentionOptions.length - 1)) % mentionOptions.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        pickMention(mentionOptions[active]!);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setDismissedAt(query?.start);
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      send();
    } else if (event.key === 'ArrowUp' && text === '' && mode.kind === 'normal' && !thread) {
      if (vm.getState().editLast()) event.preventDefault();
    } else if (event.key === 'Escape' && mode.kind !== 'normal') {
      event.preventDefault();
      cancelMode();
    }
  }

  function cancelMode() {
    if (mode.kind === 'edit') chatStore.getState().setDraft(key, '');
    chatStore.getState().setComposerMode(key, { kind: 'normal' });
  }

  return (
    <div className="border-t border-line p-2">
      {mode.kind !== 'normal' && (
        <div className="mb-1 flex items-center gap-2 rounded-md bg-surface-muted px-2 py-1 text-sm">
          <span className="min-w-0 flex-1 truncate">
            {mode.kind === 'reply' ? (
              <>
                {t('chat.composer.replyingTo')}{' '}
                <strong>
                  <SenderName name={mode.senderName} />
                </strong>
                : {mode.preview}
              </>
            ) : (
              t('chat.composer.editing')
            )}
          </span>
          <button
            className="underline"
            onClick={cancelMode}
            aria-label={mode.kind === 'reply' ? t('chat.composer.cancelReply') : t('chat.composer.cancelEdit')}
          >
            {t('common.cancel')}
          </button>
        </div>
      )}
      <form
        className="relative flex items-end gap-2 rounded-md"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-hidden
          tabIndex={-1}
          onChange={(e) => {
            attach([...(e.target.files ?? [])]);
            e.target.value = ''; // the same file can be picked again
          }}
        />
        <button
          type="button"
          className={`${iconButton} min-h-10 shrink-0 border border-line-strong`}
          aria-label={t('chat.composer.attach')}
          title={t('chat.composer.attachTitle')}
          onClick={() => fileInput.current?.click()}
        >
          {/* A drawn icon: emoji fonts are missing on some systems (Debian's Chromium shows a box). */}
          <svg
            aria-hidden
            viewBox="0 0 24 24"
            width="20"
            height="20"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            strokeLinejoin="round"
          >
            <path d="m21 12-8.5 8.5a5 5 0 0 1-7-7L14 5a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 8" />
          </svg>
        </button>
        {showMentions && (
          <MentionSuggestions options={mentionOptions} active={Math.min(mentionActive, mentionOptions.length - 1)} onPick={pickMention} />
        )}
        <textarea
          ref={ref}
          rows={1}
          aria-label={thread ? t('threads.composer') : t('chat.composer.label')}
          aria-autocomplete="list"
          aria-controls={showMentions ? mentionListId : undefined}
          aria-activedescendant={showMentions ? mentionOptionId(Math.min(mentionActive, mentionOptions.length - 1)) : undefined}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          placeholder={thread ? t('threads.composerPlaceholder') : t('chat.composer.placeholder', { room: roomName })}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart);
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            // A copied image (a screenshot) or file is sent; text pastes as usual.
            const files = [...e.clipboardData.files];
            if (files.length === 0) return;
            e.preventDefault();
            attach(files);
          }}
          onBlur={stopTyping}
          onCompositionStart={() => setComposing(true)}
          onCompositionEnd={() => setComposing(false)}
          className="max-h-[200px] min-h-10 flex-1 resize-none rounded-md border border-line-strong bg-surface-raised px-3 py-2 focus:outline-2 focus:outline-indigo-500"
        />
        <button
          ref={emojiButton}
          type="button"
          className={`${iconButton} min-h-10 shrink-0`}
          aria-label={t('emoji.insert')}
          title={t('emoji.insert')}
          aria-haspopup="dialog"
          aria-expanded={emojiOpen}
          onClick={() => setEmojiOpen((was) => !was)}
        >
          <SmileyIcon />
        </button>
        {emojiOpen && emojiButton.current && (
          <EmojiPicker
            anchor={emojiButton.current}
            label={t('emoji.insertLabel')}
            onPick={insertEmoji}
            onClose={() => setEmojiOpen(false)}
          />
        )}
        <button
          type="submit"
          className={primaryButton}
          disabled={!text.trim()}
          aria-label={thread && mode.kind !== 'edit' ? t('threads.send') : undefined}
        >
          {mode.kind === 'edit' ? t('chat.composer.save') : t('chat.composer.send')}
        </button>
      </form>
      <p className="sr-only">{t('chat.composer.help')}</p>
    </div>
  );
});
