import { lazy, Suspense, useEffect, useState } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { iconButton } from '../../ui/controls';
import { markDue, progressOf } from './journal';
import { indexedDbJournalStore } from './persistence';
import { logger } from '../../platform/logger';
import type { OnMoved } from './MigrationWizard';

const log = logger('migration');

// The wizard loads only when opened.
const MigrationWizard = lazy(() => import('./MigrationWizard'));

/** Opens the migration wizard; a move left unfinished (closed tab, crash) says so and resumes when opened. */
export function MoveAccountButton({ onMoved }: { onMoved: OnMoved }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [unfinished, setUnfinished] = useState(false);
  useEffect(() => {
    if (open) return;
    let live = true;
    indexedDbJournalStore
      .load(client.getSafeUserId())
      .then((journal) => live && setUnfinished(!!journal && (!progressOf(journal).finished || markDue(journal))))
      .catch(log.ignored('no saved move could be read; the wizard says why when opened'));
    return () => {
      live = false;
    };
  }, [client, open]);
  return (
    <>
      <button className={iconButton} onClick={() => setOpen(true)}>
        {unfinished ? t('migration.resume') : t('migration.open')}
      </button>
      {open && (
        <Suspense
          fallback={
            <div role="status" className="fixed inset-0 z-40 flex items-center justify-center bg-surface">
              {t('common.loading')}
            </div>
          }
        >
          <MigrationWizard client={client} onClose={() => setOpen(false)} onMoved={onMoved} />
        </Suspense>
      )}
    </>
  );
}
