// The migration wizard (issue 8): a modal over one MigrationController (migrationController.ts), which holds every
// stage's state and action; each stage is a thin view in stages/. Everything that must survive a closed tab is in
// the journal (IndexedDB); the recovery key only ever lives in the controller's memory.
import { useEffect, useState } from 'react';
import { t, type MessageKey } from '../../i18n';
import type { MatrixClient } from 'matrix-js-sdk';
import { secondaryButton } from '../../ui/controls';
import { useModalDialog } from '../../ui/Dialog';
import { portableStatus } from '../portable/portableRooms';
import { fetchPortableAccount } from '../portable/accountKeyAuth';
import type { MigrationJournal } from './journal';
import { createMigrationController, type MigrationController, type WizardStage } from './migrationController';
import { indexedDbJournalStore, type JournalStore } from './persistence';
import type { AccountSnapshot } from './plan';
import { snapshotFromSync, syncFromSaved } from './snapshot';
import { BlockedStage } from './stages/BlockedStage';
import { MoveStage } from './stages/MoveStage';
import { PlanStage } from './stages/PlanStage';
import { ProveStage } from './stages/ProveStage';
import { TargetStage } from './stages/TargetStage';
import { useWizard } from './stages/StageCard';
import { serverNameOf } from '../../protocol';
import type { Session } from '../../matrix/session';

const STEPS: { stage: WizardStage | 'finish'; title: MessageKey }[] = [
  { stage: 'target', title: 'migration.target.title' },
  { stage: 'prove', title: 'migration.prove.title' },
  { stage: 'plan', title: 'migration.plan.title' },
  { stage: 'move', title: 'migration.step.move' },
  { stage: 'finish', title: 'migration.step.finish' },
];

const serverOf = (userId: string) => serverNameOf(userId) ?? '';

/** Takes the old account's snapshot from matrix-js-sdk's cache (works with the old server offline). */
async function takeSnapshot(client: MatrixClient, portable: boolean): Promise<AccountSnapshot> {
  const userId = client.getSafeUserId();
  const saved = await client.store.getSavedSync();
  const user = client.getUser(userId);
  return snapshotFromSync(syncFromSaved(saved as Parameters<typeof syncFromSaved>[0]), {
    userId,
    serverName: serverOf(userId),
    baseUrl: client.baseUrl,
    portable,
    ...(user?.displayName ? { displayname: user.displayName } : {}),
    ...(user?.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
  });
}

/**
 * One controller per opening; closing the wizard disposes it (the step under way finishes and is recorded). With
 * `pending`, the controller is over a move that ended on this account while its old server was not told yet: it
 * speaks to the old server with the old session's token the journal kept.
 */
function useMigrationController(client: MatrixClient, store: JournalStore, pending?: MigrationJournal): MigrationController | undefined {
  const [controller, setController] = useState<MigrationController>();
  useEffect(() => {
    const userId = client.getSafeUserId();
    const oldToken = pending?.sourceAccessToken;
    const created = createMigrationController(
      pending && oldToken
        ? {
            source: pending.source,
            accessToken: () => oldToken,
            store,
            portableStatus: async () => {
              const old = { ...pending.source, accessToken: oldToken, deviceId: '' };
              const account = await fetchPortableAccount(old);
              return account ? { portable: true, accountKey: account.account_key } : { portable: false };
            },
            takeSnapshot: () => Promise.reject(new Error(t('migration.finishPending.noPlan'))),
          }
        : {
            source: { userId, serverName: serverOf(userId), baseUrl: client.baseUrl },
            accessToken: () => client.getAccessToken() ?? '',
            store,
            portableStatus: () => portableStatus(client),
            takeSnapshot: (portable) => takeSnapshot(client, portable),
          },
    );
    setController(created);
    void created.open();
    return () => created.dispose();
  }, [client, store, pending]);
  return controller;
}

/** Switches this browser to the account a move ended on (src/app/session.ts, passed down by the shell). */
export type OnMoved = (next: Session, options: { keepOldSession: boolean }) => Promise<void>;

export default function MigrationWizard({
  client,
  onClose,
  onMoved,
  pending,
  store = indexedDbJournalStore,
}: {
  client: MatrixClient;
  onClose: () => void;
  onMoved: OnMoved;
  /** A move that ended on this account whose old server still has to be told (pendingMarkFor). */
  pending?: MigrationJournal;
  store?: JournalStore;
}) {
  const controller = useMigrationController(client, store, pending);
  // "Done" on a move that already ended on this account only closes the wizard.
  const here: OnMoved = async (next, options) => (next.userId === client.getSafeUserId() ? onClose() : onMoved(next, options));
  const dialogRef = useModalDialog();
  return (
    // A native modal: focus stays inside the wizard, the app behind it is inert, Escape closes it like Close does.
    <dialog
      ref={dialogRef}
      onClose={onClose}
      aria-label={t('migration.title')}
      className="fixed inset-0 m-0 h-dvh max-h-none w-full max-w-none overflow-y-auto border-0 bg-surface p-0 text-fg"
    >
      <div className="mx-auto max-w-2xl space-y-6 p-4 sm:p-8">
        <header className="flex items-center gap-3">
          <h1 className="flex-1 text-2xl font-bold">{t('migration.title')}</h1>
          <button className={secondaryButton} onClick={onClose}>
            {t('common.close')}
          </button>
        </header>
        {controller ? <Stages controller={controller} onClose={onClose} onMoved={here} /> : <p role="status">{t('common.loading')}</p>}
      </div>
    </dialog>
  );
}

function Stages({ controller, onClose, onMoved }: { controller: MigrationController; onClose: () => void; onMoved: OnMoved }) {
  const stage = useWizard(controller, (s) => s.stage);
  // A finished move is on step 5, "Check and finish", as its card says.
  const step = useWizard(controller, (s) => (s.stage === 'move' && s.progress?.finished && !s.running ? 'finish' : s.stage));
  return (
    <>
      <ol aria-label={t('migration.steps')} className="flex flex-wrap gap-2 text-sm">
        {STEPS.map((s, i) => (
          <li
            key={s.title}
            aria-current={s.stage === step ? 'step' : undefined}
            className={`rounded-full px-3 py-1 ${s.stage === step ? 'bg-indigo-600 text-white' : 'bg-surface-muted'}`}
          >
            {i + 1}. {t(s.title)}
          </li>
        ))}
      </ol>
      {stage === 'loading' && <p role="status">{t('common.loading')}</p>}
      {stage === 'blocked' && <BlockedStage controller={controller} />}
      {stage === 'target' && <TargetStage controller={controller} />}
      {stage === 'prove' && <ProveStage controller={controller} />}
      {stage === 'plan' && <PlanStage controller={controller} />}
      {stage === 'move' && <MoveStage controller={controller} onDone={onClose} onMoved={onMoved} />}
    </>
  );
}
