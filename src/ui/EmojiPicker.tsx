// A full emoji picker in a popover (Element's and Cinny's): search, categories, frequently used (kept by the
// picker in IndexedDB, per browser), skin tones. emoji-picker-element is keyboard usable (type to search, arrows
// in the grid, Enter picks); Escape or a click elsewhere closes the popover and the focus goes back to its button.
// The picker's code and data load on first open (./emoji/pickerElement), never with the first screen.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { t } from '../i18n';
import { logger } from '../platform/logger';

const log = logger('ui:emoji');
const WIDTH = 352;
const HEIGHT = 400;

function place(anchor: HTMLElement): { top: number; left: number; width: number } {
  const rect = anchor.getBoundingClientRect();
  const width = Math.min(WIDTH, window.innerWidth - 16);
  const left = Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8));
  // Below the button when it fits, else above it (the composer's button is at the bottom of the screen).
  const below = rect.bottom + 4;
  const top = below + HEIGHT <= window.innerHeight - 8 ? below : Math.max(8, rect.top - HEIGHT - 4);
  return { top, left, width };
}

export function EmojiPicker({
  anchor,
  label,
  onPick,
  onClose,
}: {
  /** The button that opened it: the popover sits by it, and the focus goes back to it. */
  anchor: HTMLElement;
  label: string;
  onPick(emoji: string): void;
  onClose(): void;
}) {
  const popover = useRef<HTMLDivElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  const [position, setPosition] = useState(() => place(anchor));
  const picked = useRef(onPick);
  picked.current = onPick;
  const closed = useRef(onClose);
  closed.current = onClose;

  useLayoutEffect(() => {
    const onResize = () => setPosition(place(anchor));
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, [anchor]);

  useEffect(() => {
    let live = true;
    let element: HTMLElement | undefined;
    import('./emoji/pickerElement').then(
      ({ createPickerElement }) => {
        if (!live || !host.current) return;
        const theme = document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
        element = createPickerElement(theme);
        element.addEventListener('emoji-click', (event) => {
          const unicode = (event as CustomEvent<{ unicode?: string }>).detail.unicode;
          if (unicode) picked.current(unicode);
        });
        host.current.append(element);
        setState('ready');
        // The search box takes the focus once the picker has drawn it.
        const focusSearch = () => {
          const search = element?.shadowRoot?.querySelector<HTMLInputElement>('input[type="search"]');
          if (search) search.focus();
          else if (live) requestAnimationFrame(focusSearch);
        };
        focusSearch();
      },
      (error: unknown) => {
        log.warn('the emoji picker did not load', error);
        if (live) setState('failed');
      },
    );
    return () => {
      live = false;
      element?.remove();
    };
  }, []);

  useEffect(() => {
    const onPointer = (event: PointerEvent) => {
      const path = event.composedPath();
      if (popover.current && !path.includes(popover.current) && !path.includes(anchor)) closed.current();
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [anchor]);

  return createPortal(
    <div
      ref={popover}
      role="dialog"
      aria-label={label}
      style={{ top: position.top, left: position.left, width: position.width }}
      className="fixed z-50 overflow-hidden rounded-lg border border-line bg-surface-raised shadow-xl"
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        event.stopPropagation();
        closed.current();
        anchor.focus();
      }}
    >
      {state !== 'ready' && (
        <p role={state === 'failed' ? 'alert' : 'status'} className="p-4 text-sm text-subtle">
          {state === 'failed' ? t('emoji.failed') : t('emoji.loading')}
        </p>
      )}
      <div ref={host} />
    </div>,
    document.body,
  );
}
