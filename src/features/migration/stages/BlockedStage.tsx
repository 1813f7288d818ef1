// What the wizard shows instead of "Where to" when this device holds a move it can't read: a new plan would
// overwrite it, so none starts until the user keeps it elsewhere and discards it, or continues it where it can be.
import { useState } from 'react';
import { primaryButton, secondaryButton } from '../../../ui/controls';
import type { MigrationController } from '../migrationController';
import { Card, downloadJson, Problem, useWizard } from './StageCard';
import { t } from '../../../i18n';

export function BlockedStage({ controller }: { controller: MigrationController }) {
  const blocked = useWizard(controller, (s) => s.blocked);
  const [confirming, setConfirming] = useState(false);
  if (!blocked) return null;
  return (
    <Card title={t('migration.blocked.title')}>
      <Problem text={blocked.message} />
      {blocked.reason !== 'storage' && (
        <div className="flex flex-wrap gap-2">
          <button
            className={primaryButton}
            onClick={() => downloadJson(blocked.stored, `wayfarer-migration-saved-${controller.userId}.json`)}
          >
            {t('migration.blocked.download')}
          </button>
          {confirming ? (
            <>
              <button className={`${primaryButton} bg-red-600 hover:bg-red-500`} onClick={() => void controller.discardBlocking()}>
                {t('migration.blocked.discard')}
              </button>
              <button className={secondaryButton} onClick={() => setConfirming(false)}>
                {t('migration.blocked.keep')}
              </button>
            </>
          ) : (
            <button className={secondaryButton} onClick={() => setConfirming(true)}>
              {t('migration.blocked.discardAsk')}
            </button>
          )}
        </div>
      )}
    </Card>
  );
}
