import { useEffect, useRef, type ReactNode } from 'react';
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

/** A modal on the native <dialog>: focus trapping and Escape come from the browser. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useModalDialog();
  return (
    <dialog
      ref={ref}
      aria-label={title}
      onClose={onClose}
      className="m-auto w-[min(28rem,calc(100vw-1rem))] rounded-lg bg-surface-raised p-0 text-fg shadow-xl backdrop:bg-black/50"
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
