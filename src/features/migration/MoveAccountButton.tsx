import { lazy, Suspense, useState } from 'react';
import { useClient } from '../../app/clientContext';
import { iconButton } from '../../ui/controls';

// The wizard loads only when opened.
const MigrationWizard = lazy(() => import('./MigrationWizard'));

/** Opens the migration wizard; a move left unfinished resumes when it opens. */
export function MoveAccountButton() {
  const client = useClient();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button className={iconButton} onClick={() => setOpen(true)}>
        Move account
      </button>
      {open && (
        <Suspense fallback={<div role="status" className="fixed inset-0 z-40 flex items-center justify-center bg-white dark:bg-slate-950">Loading…</div>}>
          <MigrationWizard client={client} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}
