// Steps 4 and 5, "Move" and "Check and finish": progress per item from the journal, retries, the recovery key
// when a resumed portable move needs it, the summary to download and marking the old account moved.
import { useEffect, useState } from 'react';
import { sessionStore } from '../../../state/sessionStore';
import { primaryButton, secondaryButton } from '../../../ui/controls';
import { RecoveryKeyField } from '../../portable/RecoveryKeyField';
import { readRecoveryKeyField } from '../../portable/recoveryKeyInput';
import type { ItemProgress } from '../journal';
import type { MigrationController } from '../migrationController';
import { Bar, Card, downloadJson, Problem, useWizard } from './StageCard';
import { t } from '../../../i18n';
import type { Session } from '../../../matrix/session';

function ItemRow({ entry, onRetry, disabled }: { entry: ItemProgress; onRetry: () => void; disabled: boolean }) {
  const { item, state } = entry;
  const words =
    state === 'done'
      ? 'done'
      : state === 'failed'
        ? `failed while ${entry.current}`
        : state === 'running'
          ? entry.current
          : state === 'waiting'
            ? `waiting: ${entry.current}`
            : item.movable
              ? 'not selected'
              : item.kind === 'media'
                ? t(item.summary)
                : 'cannot move';
  return (
    <li className="space-y-1 py-2" aria-label={t(item.label)}>
      <div className="flex items-center gap-2">
        <span className="min-w-0 flex-1 truncate font-medium">{t(item.label)}</span>
        <span className="text-sm text-muted" data-state={state}>
          {state === 'done' ? '✓ ' : state === 'failed' ? '✗ ' : ''}
          {words}
        </span>
      </div>
      {entry.total > 0 && <Bar label={t('migration.move.itemProgress', { item: t(item.label) })} value={entry.done} max={entry.total} />}
      {state === 'failed' && (
        <div className="flex items-start gap-2">
          <p role="alert" className="flex-1 text-sm text-danger">
            {entry.error}
          </p>
          <button
            className={secondaryButton}
            disabled={disabled}
            onClick={onRetry}
            aria-label={t('migration.move.retryItem', { item: t(item.label) })}
          >
            {t('migration.move.retry')}
          </button>
        </div>
      )}
      {state === 'skipped' && !item.movable && item.reason && <p className="text-sm text-muted">{t(item.reason)}</p>}
      {state === 'skipped' && item.unblock && (
        <p className="text-sm text-muted">
          <strong className="font-medium text-fg">{t('migration.plan.unblockLabel')}</strong> {t(item.unblock)}
        </p>
      )}
    </li>
  );
}

/** The recovery key, asked for when a resumed move or the marking needs it; never stored. */
function RecoveryKeyPrompt({ controller, forMarking }: { controller: MigrationController; forMarking: boolean }) {
  const [recoveryKey, setRecoveryKey] = useState('');
  const [tried, setTried] = useState(false);
  return (
    <form
      className="space-y-3 rounded-md border border-warning-line p-3"
      onSubmit={(e) => {
        e.preventDefault();
        setTried(true);
        const field = readRecoveryKeyField(recoveryKey);
        if (field.state === 'valid') controller.provideSecret(field.secret);
      }}
    >
      <p>{t(forMarking ? 'migration.move.keyToMark' : 'migration.move.keyToResume')}</p>
      <RecoveryKeyField value={recoveryKey} onChange={setRecoveryKey} strict={tried} autoFocus />
      <button className={primaryButton}>{forMarking ? t('migration.move.confirm') : t('migration.move.resume')}</button>
    </form>
  );
}

/**
 * `onMoved`: "Done" switches this browser to the new account (and signs out of the old one, unless the old server
 * still has to be told, which needs the old session later); `onDone` only closes the wizard.
 */
export function MoveStage({
  controller,
  onDone,
  onMoved,
}: {
  controller: MigrationController;
  onDone: () => void;
  onMoved: (next: Session, options: { keepOldSession: boolean }) => Promise<void>;
}) {
  const journal = useWizard(controller, (s) => s.journal);
  const progress = useWizard(controller, (s) => s.progress);
  const running = useWizard(controller, (s) => s.running);
  const needsSecret = useWizard(controller, (s) => s.needsSecret);
  const askKeyToMark = useWizard(controller, (s) => s.askKeyToMark);
  const error = useWizard(controller, (s) => s.moveError);
  const marking = useWizard(controller, (s) => s.marking);
  const rateLimit = useWizard(controller, (s) => s.rateLimit);
  // Once the old server is told, this session's own requests answer that the account moved: expected here.
  const target = journal?.target.userId;
  useEffect(() => {
    if (!target) return;
    sessionStore.getState().setMovingTo(target);
    return () => sessionStore.getState().setMovingTo(undefined);
  }, [target]);
  if (!journal || !progress) return null;

  const finished = progress.finished && !running;
  const rooms = progress.items.filter((i) => i.item.kind === 'room');
  return (
    <Card title={finished ? t('migration.step.finish') : t('migration.step.move')} step={finished ? 5 : 4}>
      <p>
        {t('migration.move.from')} <strong>{journal.source.userId}</strong> {t('migration.move.to')}{' '}
        <strong>{journal.target.userId}</strong> (
        {t(journal.path === 'portable' ? 'migration.move.portablePath' : 'migration.move.classicPath')}).
      </p>
      {(needsSecret || askKeyToMark) && <RecoveryKeyPrompt controller={controller} forMarking={askKeyToMark} />}
      <div className="space-y-1">
        <div className="flex justify-between text-sm">
          <span>
            {finished
              ? progress.failed > 0
                ? t('migration.move.failed', { count: progress.failed })
                : t('migration.move.allMoved')
              : running
                ? t('migration.move.moving')
                : t('migration.move.paused')}
          </span>
          <span>{t('migration.move.steps', { done: progress.done, total: progress.total })}</span>
        </div>
        <Bar label={t('migration.move.overall')} value={progress.done} max={progress.total} />
        {rateLimit && running && (
          // A 429 is waited out, never a failure: the bar says why it pauses and for how long.
          <p role="status" className="text-sm text-warning">
            {t('migration.move.rateLimited', { server: rateLimit.server, seconds: Math.max(1, Math.ceil(rateLimit.waitMs / 1000)) })}
          </p>
        )}
      </div>
      <Problem text={error} />
      <ul aria-label={t('migration.move.items')} className="divide-y divide-line">
        {progress.items.map((entry) => (
          <ItemRow
            key={entry.item.id}
            entry={entry}
            onRetry={() => void controller.retry(entry.item.id)}
            disabled={running || needsSecret}
          />
        ))}
      </ul>
      {finished && (
        <div className="space-y-3">
          <h3 className="font-semibold">{t('migration.move.whatTargetSees', { server: journal.target.serverName })}</h3>
          <ul aria-label={t('migration.move.checkList')} className="space-y-1 text-sm">
            {rooms.map(({ item }) => {
              const check = journal.steps.find((s) => s.itemId === item.id && s.kind === 'verify');
              return (
                <li key={item.id}>
                  {check?.status === 'done' ? '✓' : '–'} {t(item.label)}:{' '}
                  {check?.status === 'done'
                    ? check.outcome
                    : check
                      ? t('migration.move.notChecked')
                      : item.movable
                        ? t('migration.move.notSelected')
                        : t('migration.plan.cannot')}
                </li>
              );
            })}
          </ul>
          <div className="flex flex-wrap gap-2">
            <button className={primaryButton} onClick={() => downloadJson(controller.summary(), `wayfarer-migration-${journal.id}.json`)}>
              {t('migration.move.download')}
            </button>
            <button
              className={secondaryButton}
              disabled={!!marking}
              onClick={() =>
                void controller.finish().then((done) =>
                  done
                    ? onMoved(
                        {
                          baseUrl: done.target.baseUrl,
                          userId: done.target.userId,
                          accessToken: done.target.accessToken,
                          deviceId: done.target.deviceId,
                        },
                        { keepOldSession: done.markPending },
                      )
                    : onDone(),
                )
              }
            >
              {t('migration.move.done')}
            </button>
          </div>
          {journal.path === 'portable' && (
            <div className="space-y-2">
              {journal.markedMovedTs ? (
                <p role="status">{t('migration.move.marked', { server: journal.source.serverName, target: journal.target.userId })}</p>
              ) : marking ? (
                <p role="status">{marking}</p>
              ) : journal.markError ? (
                <div className="flex flex-wrap items-start gap-2">
                  <p role="alert" className="flex-1 text-sm text-danger">
                    {journal.markError}
                  </p>
                  <button className={secondaryButton} disabled={running} onClick={() => void controller.markMoved()}>
                    {t('migration.mark.retry', { server: journal.source.serverName })}
                  </button>
                </div>
              ) : (
                <p>{t('migration.mark.pending', { server: journal.source.serverName })}</p>
              )}
            </div>
          )}
        </div>
      )}
    </Card>
  );
}
