// Step 3, "Plan": every room and setting with what will happen and why; the user unticks what stays behind.
import { primaryButton } from '../../../ui/controls';
import type { MigrationController } from '../migrationController';
import { summarisePlan, type PlanItem } from '../plan';
import { Card, Problem, useWizard } from './StageCard';
import { t } from '../../../i18n';

const ACTION_STYLE: Record<string, string> = {
  adopt: 'text-success',
  reinvite: 'text-warning',
  'join-public': 'text-warning',
  cannot: 'text-danger',
};

function PlanRow({ item, onToggle }: { item: PlanItem; onToggle: (selected: boolean) => void }) {
  return (
    <li className="flex gap-3 py-2">
      <input
        id={`plan-${item.id}`}
        type="checkbox"
        className="mt-1 h-4 w-4"
        checked={item.selected}
        disabled={!item.movable}
        onChange={(e) => onToggle(e.target.checked)}
        aria-describedby={`plan-${item.id}-why`}
      />
      <div className="min-w-0 flex-1">
        <label htmlFor={`plan-${item.id}`} className="font-medium">
          {t(item.label)}
        </label>
        <p className={`text-sm ${ACTION_STYLE[item.action ?? ''] ?? ''}`}>{t(item.summary)}</p>
        <div id={`plan-${item.id}-why`} className="space-y-1 text-sm text-muted">
          {item.reason && <p>{t(item.reason)}</p>}
          {item.unblock && (
            <p>
              <strong className="font-medium text-fg">{t('migration.plan.unblockLabel')}</strong> {t(item.unblock)}
            </p>
          )}
          {item.note && <p className="text-warning">{t(item.note)}</p>}
        </div>
      </div>
    </li>
  );
}

export function PlanStage({ controller }: { controller: MigrationController }) {
  const items = useWizard(controller, (s) => s.items);
  const options = useWizard(controller, (s) => s.options);
  const busy = useWizard(controller, (s) => s.starting);
  const error = useWizard(controller, (s) => s.planError);
  const path = useWizard(controller, (s) => s.path);
  const target = useWizard(controller, (s) => s.session?.userId);
  const classicRooms = items.some((i) => i.kind === 'room' && i.selected && i.action !== 'adopt');
  const rooms = items.filter((i) => i.kind === 'room' || i.kind === 'invite');
  const rest = items.filter((i) => i.kind !== 'room' && i.kind !== 'invite');
  const summary = summarisePlan(items);
  const lines = [
    summary.seamless > 0 && t('migration.plan.summarySeamless', { count: summary.seamless }),
    summary.reinvite > 0 && t('migration.plan.summaryReinvite', { count: summary.reinvite }),
    summary.joinPublic > 0 && t('migration.plan.summaryJoinPublic', { count: summary.joinPublic }),
    summary.blocked > 0 && t('migration.plan.summaryBlocked', { count: summary.blocked }),
    summary.unselected > 0 && t('migration.plan.summaryUnselected', { count: summary.unselected }),
    summary.settings > 0 && t('migration.plan.summarySettings', { count: summary.settings }),
  ].filter((line): line is string => !!line);
  const row = (item: PlanItem) => <PlanRow key={item.id} item={item} onToggle={(on) => controller.toggle(item.id, on)} />;
  return (
    <Card title={t('migration.plan.title')} step={3}>
      <p>{t('migration.plan.intro')}</p>
      <section aria-labelledby="plan-summary" className="space-y-1 rounded-md border border-line p-3 text-sm">
        <h3 id="plan-summary" className="font-semibold">
          {t('migration.plan.summaryTitle')}
        </h3>
        <ul className="list-disc pl-5">
          {lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        <p className="text-muted">{t('migration.plan.summaryNothingYet')}</p>
      </section>
      <h3 className="font-semibold">{t('migration.plan.rooms', { number: rooms.length })}</h3>
      <ul aria-label={t('migration.plan.roomsList')} className="divide-y divide-line">
        {rooms.map(row)}
      </ul>
      {rest.length > 0 && (
        <>
          <h3 className="font-semibold">{t('migration.plan.settings')}</h3>
          <ul aria-label={t('migration.plan.settingsList')} className="divide-y divide-line">
            {rest.map(row)}
          </ul>
        </>
      )}
      {classicRooms && (
        <fieldset className="space-y-2 rounded-md border border-line p-3 text-sm">
          <legend className="px-1 font-medium">{t('migration.plan.reinviteOptions')}</legend>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={options.notice} onChange={(e) => controller.setOptions({ notice: e.target.checked })} />{' '}
            {t('migration.plan.postNotice')}
          </label>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={options.leaveOld} onChange={(e) => controller.setOptions({ leaveOld: e.target.checked })} />{' '}
            {t('migration.plan.leaveOld')}
          </label>
        </fieldset>
      )}
      {path === 'portable' && target && (
        // The move's end is part of the plan (PROTOCOL.md §7 step 5): said before anything starts.
        <p className="rounded-md border border-warning-line p-3 text-sm">
          {t('migration.plan.endsOld', { target, server: controller.serverName })}
        </p>
      )}
      <button className={primaryButton} disabled={busy || !items.some((i) => i.selected)} onClick={() => void controller.start()}>
        {t('migration.plan.start')}
      </button>
      <Problem text={error} />
    </Card>
  );
}
