import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { t } from '../../i18n';
import { sanitiseDisplayName } from '../../protocol/confusables';
import { EmojiPicker } from '../../ui/EmojiPicker';
import { ownReaction, quickReactions, reactionLabel, type ReactionGroup, type Reactor } from '../../domain/room/reactions';

/** Names a reactor as the timeline names senders (through describeSender, keyed by identity). */
export type ReactorName = (reactor: Reactor) => string;

/**
 * The pills under a message: emoji and count, pressed when one of them is yours; the accessible name and the
 * tooltip say who reacted. Pressing adds yours or takes it back.
 */
export function ReactionPills({
  groups,
  myIdentity,
  nameOf,
  onToggle,
}: {
  groups: readonly ReactionGroup[];
  myIdentity: string;
  nameOf: ReactorName;
  onToggle(key: string): void;
}) {
  if (groups.length === 0) return null;
  return (
    <ul aria-label={t('chat.reactions.label')} className="mt-1 flex flex-wrap gap-1">
      {groups.map((group) => {
        const mine = ownReaction(group, myIdentity);
        const names = group.reactors.map(nameOf);
        return (
          <li key={group.key}>
            <button
              type="button"
              aria-pressed={!!mine}
              aria-label={t(reactionLabel(group.key, names, !!mine))}
              title={names.map(sanitiseDisplayName).join(', ')}
              // Yours still on its way can't be taken back yet (there is no event to redact).
              aria-disabled={mine !== undefined && mine.status !== 'sent'}
              onClick={() => (mine === undefined || mine.status === 'sent') && onToggle(group.key)}
              // A press with the pointer leaves the focus where it was: focus coming into the message would open its
              // actions, which on a narrow screen open under it and move the pill before the press is released.
              // Tab still reaches the pill, and Enter or Space presses it.
              onMouseDown={(event) => event.preventDefault()}
              className={`flex min-h-7 items-center gap-1 rounded-full border px-2 py-0.5 text-sm focus-visible:outline-2 focus-visible:outline-indigo-500 ${
                mine
                  ? 'border-accent-line bg-accent-surface text-accent-fg'
                  : 'border-line bg-surface-raised text-fg-soft hover:border-subtle'
              } ${mine && mine.status !== 'sent' ? 'opacity-70' : ''}`}
            >
              <span aria-hidden="true">{group.key}</span>
              <span aria-hidden="true" className="text-xs tabular-nums">
                {group.reactors.length}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * "React" in a message's action row: a menu of quick emoji, keyboard-usable like any menu (arrows, Home/End,
 * Enter, Escape closes and gives the focus back to the button); its last item opens the full emoji picker.
 */
export function ReactButton({ className, onPick }: { className: string; onPick(key: string): void }) {
  const [open, setOpen] = useState(false);
  const [pickerOpen, setPickerOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    // A click elsewhere closes it, as any menu.
    const onPointer = (event: PointerEvent) => {
      if (!menu.current?.contains(event.target as Node) && event.target !== button.current) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  function close() {
    setOpen(false);
    button.current?.focus();
  }

  function onMenuKey(event: KeyboardEvent) {
    const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const moveTo = (i: number) => items[(i + items.length) % items.length]?.focus();
    if (event.key === 'Escape') close();
    else if (event.key === 'ArrowRight' || event.key === 'ArrowDown') moveTo(at + 1);
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') moveTo(at - 1);
    else if (event.key === 'Home') moveTo(0);
    else if (event.key === 'End') moveTo(items.length - 1);
    else if (event.key === 'Tab') setOpen(false);
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  return (
    <span className="relative">
      <button
        ref={button}
        type="button"
        className={className}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={t('chat.reactions.react')}
        onClick={() => setOpen((was) => !was)}
      >
        {t('chat.reactions.react')}
      </button>
      {open && (
        <div
          ref={menu}
          id={menuId}
          role="menu"
          aria-label={t('chat.reactions.quick')}
          aria-orientation="horizontal"
          onKeyDown={onMenuKey}
          className="absolute left-0 top-full z-20 mt-1 flex gap-0.5 rounded-lg border border-line bg-surface-raised p-1 shadow-lg md:left-auto md:right-0"
        >
          {quickReactions.map((key) => (
            <button
              key={key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              aria-label={t('chat.reactions.with', { key })}
              className="rounded px-1.5 py-1 text-lg leading-none hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500"
              onClick={() => {
                onPick(key);
                close();
              }}
            >
              {key}
            </button>
          ))}
          <button
            type="button"
            role="menuitem"
            tabIndex={-1}
            aria-label={t('emoji.more')}
            title={t('emoji.more')}
            className="rounded px-1.5 py-1 text-lg leading-none text-muted hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500"
            onClick={() => {
              setOpen(false);
              setPickerOpen(true);
            }}
          >
            <SmileyIcon />
          </button>
        </div>
      )}
      {pickerOpen && button.current && (
        <EmojiPicker
          anchor={button.current}
          label={t('emoji.reactLabel')}
          onPick={(key) => {
            onPick(key);
            setPickerOpen(false);
            button.current?.focus();
          }}
          onClose={() => setPickerOpen(false)}
        />
      )}
    </span>
  );
}

/** A drawn smiley: emoji fonts are missing on some systems. */
export function SmileyIcon() {
  return (
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
      <circle cx="12" cy="12" r="9" />
      <path d="M8 14s1.5 2 4 2 4-2 4-2" />
      <path d="M9 9.5h.01M15 9.5h.01" />
    </svg>
  );
}
