import { useEffect, useRef, useState, type ReactNode } from 'react';
import { primaryButton, secondaryButton } from './controls';
import { t } from '../i18n';

/**
 * Opens a native <dialog> as a modal once mounted: the browser traps focus inside it, makes the rest of the
 * page inert and closes it on Escape (its `close` event is the place to react). Guarded for React's double mount.
 */
export function useModalDialog() {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return ref;
}

/** A modal on the native <dialog>: focus trapping and Escape come from the browser. `wide` for settings with tabs. */
export function Dialog({
  title,
  onClose,
  children,
  wide = false,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useModalDialog();
  return (
    <dialog
      ref={ref}
      aria-label={title}
      onClose={onClose}
      className={`m-auto ${wide ? 'w-[min(40rem,calc(100vw-1rem))]' : 'w-[min(28rem,calc(100vw-1rem))]'} rounded-lg bg-surface-raised p-0 text-fg shadow-xl backdrop:bg-black/50`}
    >
      <div className="space-y-4 p-5">
        <h2 className="text-lg font-semibold">{title}</h2>
        {children}
      </div>
    </dialog>
  );
}

/** A form's error line, announced to screen readers. */
export function FormError({ error }: { error?: string | null }) {
  if (!error) return null;
  return (
    <p role="alert" className="text-sm text-danger">
      {error}
    </p>
  );
}

/** Cancel + submit, the row every dialog form ends with. */
export function DialogActions({
  submit,
  busy = false,
  busyLabel,
  onCancel,
}: {
  submit: string;
  busy?: boolean;
  busyLabel?: string;
  onCancel: () => void;
}) {
  return (
    <div className="flex justify-end gap-2">
      <button type="button" className={secondaryButton} onClick={onCancel}>
        {t('common.cancel')}
      </button>
      <button type="submit" className={primaryButton} disabled={busy}>
        {busy && busyLabel ? busyLabel : submit}
      </button>
    </div>
  );
}

/**
 * Asks before something that cannot be taken back: Cancel (focused first, so Enter does no harm) keeps things as
 * they were, the confirm button goes ahead. Escape cancels.
 */
export function ConfirmDialog({
  title,
  body,
  confirm,
  onConfirm,
  onClose,
}: {
  title: string;
  body: string;
  confirm: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  // The button that asked, focused again when the question goes (unless it went with the answer).
  const [opener] = useState(() => document.activeElement);
  useEffect(
    () => () => {
      queueMicrotask(() => {
        const active = document.activeElement;
        if (opener instanceof HTMLElement && opener.isConnected && (!active || active === document.body)) opener.focus();
      });
    },
    [opener],
  );
  return (
    <Dialog title={title} onClose={onClose}>
      <p className="text-sm">{body}</p>
      <div className="flex justify-end gap-2">
        <button type="button" className={secondaryButton} onClick={onClose} autoFocus>
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className={`${primaryButton} bg-red-600 hover:bg-red-500`}
          onClick={() => {
            onConfirm();
            onClose();
          }}
        >
          {confirm}
        </button>
      </div>
    </Dialog>
  );
}
