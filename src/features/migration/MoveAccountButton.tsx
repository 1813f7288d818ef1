import { lazy, Suspense, useEffect, useState } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { iconButton, secondaryButton } from '../../ui/controls';
import { markDue, pendingMarkFor, progressOf, type MigrationJournal } from './journal';
import { indexedDbJournalStore } from './persistence';
import { logger } from '../../platform/logger';
import type { OnMoved } from './MigrationWizard';

const log = logger('migration');

// The wizard loads only when opened.
const MigrationWizard = lazy(() => import('./MigrationWizard'));

/** Opens the migration wizard; a move left unfinished (closed tab, crash) says so and resumes when opened. */
function WizardLoading() {
  return (
    <div role="status" className="fixed inset-0 z-40 flex items-center justify-center bg-surface">
      {t('common.loading')}
    </div>
  );
}

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
        <Suspense fallback={<WizardLoading />}>
          <MigrationWizard client={client} onClose={() => setOpen(false)} onMoved={onMoved} />
        </Suspense>
      )}
    </>
  );
}

/**
 * A move that ended on this account while its old server could not be told (PROTOCOL.md §7 step 5): said under the
 * room list's header at every start of this account's session, with the way to finish it, until the old server knows.
 */
export function PendingMoveNotice({ onMoved }: { onMoved: OnMoved }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState<MigrationJournal>();
  useEffect(() => {
    if (open) return;
    let live = true;
    indexedDbJournalStore
      .list()
      .then((journals) => live && setPending(pendingMarkFor(journals, client.getSafeUserId())))
      .catch(log.ignored('the saved moves could not be listed; a move that waits for its old server is offered at the next start'));
    return () => {
      live = false;
    };
  }, [client, open]);
  if (!pending) return null;
  return (
    <>
      <div role="status" className="space-y-2 border-b border-line bg-warning-surface p-3 text-sm text-warning-fg">
        <p>{t('migration.finishPending.text', { from: pending.source.userId, server: pending.source.serverName })}</p>
        <button className={secondaryButton} onClick={() => setOpen(true)}>
          {t('migration.finishPending.open')}
        </button>
      </div>
      {open && (
        <Suspense fallback={<WizardLoading />}>
          <MigrationWizard client={client} onClose={() => setOpen(false)} onMoved={onMoved} pending={pending} />
        </Suspense>
      )}
    </>
  );
}
