// Room settings (issue 17), laid out as Element Web's: General (picture, name, topic, addresses, leave), Security &
// privacy (who may join, who may read the history, guests), Roles (each member's power level) and Notifications
// (all messages, mentions and keywords, or off). Every control shows what the room's state says now and is disabled
// where the auth rules would refuse this account (domain/room/roomSettings). In member-key rooms a member's level is
// written under their member key (the person is the key; the badge says what their handle claim is worth).
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { ClientEvent, EventType, PushRuleKind, RoomStateEvent, type MatrixClient, type Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { ConfirmDialog, Dialog, FormError } from '../../ui/Dialog';
import { Avatar } from '../../ui/Avatar';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { squareAvatar } from '../../ui/squareAvatar';
import { roomIdentities } from '../../domain/room/roomIdentities';
import { memberPowers, powerOfIdentity, withPowerLevel } from '../../domain/identity/memberActions';
import {
  canonicalAliasContent,
  localAlias,
  notificationLevelChanges,
  notificationLevelOf,
  readRoomSettings,
  type HistoryVisibility,
  type JoinRule,
  type NotificationLevel,
  type PushRulesLike,
  type RoomSettingsState,
} from '../../domain/room/roomSettings';
import type { RoomMemberRow } from '../../domain/room/roomViewModel';
import { useRoomView, useRoomViewModel, selectMembers } from '../chat/useRoomViewModel';
import { HandleBadge } from '../identity/HandleBadge';
import { SenderName } from '../identity/SenderName';
import { LeaveRoomDialog } from './LeaveRoomDialog';

type Tab = 'general' | 'security' | 'roles' | 'notifications';
const TABS: readonly Tab[] = ['general', 'security', 'roles', 'notifications'];
const tabLabel = (tab: Tab) =>
  ({
    general: t('roomSettings.tab.general'),
    security: t('roomSettings.tab.security'),
    roles: t('roomSettings.tab.roles'),
    notifications: t('roomSettings.tab.notifications'),
  })[tab];

/** The room's settings as its state says now, read again whenever that state changes. */
function useRoomSettings(client: MatrixClient, room: Room): RoomSettingsState {
  const me = client.getSafeUserId();
  const read = () => readRoomSettings(room, { identity: roomIdentities(room).identityOfUser(me), userId: me });
  const [settings, setSettings] = useState(read);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `read` is rebuilt each render from room and me
  useEffect(() => {
    const update = () => setSettings(read());
    update();
    room.on(RoomStateEvent.Update, update);
    return () => void room.off(RoomStateEvent.Update, update);
  }, [room, me]);
  return settings;
}

/** A line that says how the last change went (announced to screen readers). */
function useOutcome() {
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const run = async (work: () => Promise<unknown>, done: string, failed: string) => {
    setOutcome(undefined);
    try {
      await work();
      setOutcome({ ok: true, text: done });
      return true;
    } catch (err) {
      setOutcome({ ok: false, text: describeMatrixError(err, failed) });
      return false;
    }
  };
  const line = outcome ? (
    outcome.ok ? (
      <p role="status" className="text-sm text-subtle">
        {outcome.text}
      </p>
    ) : (
      <FormError error={outcome.text} />
    )
  ) : null;
  return { run, line };
}

export function RoomSettingsDialog({ room, onClose }: { room: Room; onClose: () => void }) {
  const client = useClient();
  const settings = useRoomSettings(client, room);
  const [tab, setTab] = useState<Tab>('general');
  const [leaving, setLeaving] = useState(false);
  const baseId = useId();
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>());

  function onTabKey(event: KeyboardEvent<HTMLDivElement>) {
    const index = TABS.indexOf(tab);
    const next =
      event.key === 'ArrowRight'
        ? TABS[(index + 1) % TABS.length]
        : event.key === 'ArrowLeft'
          ? TABS[(index + TABS.length - 1) % TABS.length]
          : event.key === 'Home'
            ? TABS[0]
            : event.key === 'End'
              ? TABS.at(-1)
              : undefined;
    if (!next) return;
    event.preventDefault();
    setTab(next);
    tabRefs.current.get(next)?.focus();
  }

  if (leaving) return <LeaveRoomDialog room={room} onClose={() => setLeaving(false)} onLeft={onClose} />;

  return (
    <Dialog title={t('roomSettings.title', { room: room.name })} onClose={onClose} wide>
      <div role="tablist" aria-label={t('roomSettings.tabs')} className="flex flex-wrap gap-1 border-b border-line" onKeyDown={onTabKey}>
        {TABS.map((id) => (
          <button
            key={id}
            ref={(node) => void (node ? tabRefs.current.set(id, node) : tabRefs.current.delete(id))}
            type="button"
            role="tab"
            id={`${baseId}-tab-${id}`}
            aria-selected={tab === id}
            aria-controls={`${baseId}-panel`}
            tabIndex={tab === id ? 0 : -1}
            onClick={() => setTab(id)}
            className={`-mb-px border-b-2 px-2 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-indigo-500 ${
              tab === id ? 'border-indigo-500 font-semibold text-fg' : 'border-transparent text-muted hover:text-fg'
            }`}
          >
            {tabLabel(id)}
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id={`${baseId}-panel`}
        aria-labelledby={`${baseId}-tab-${tab}`}
        className="max-h-[min(32rem,calc(100dvh-12rem))] space-y-5 overflow-y-auto pr-1"
      >
        {tab === 'general' && <GeneralTab client={client} room={room} settings={settings} onLeave={() => setLeaving(true)} />}
        {tab === 'security' && <SecurityTab client={client} room={room} settings={settings} />}
        {tab === 'roles' && <RolesTab client={client} room={room} settings={settings} />}
        {tab === 'notifications' && <NotificationsTab client={client} room={room} />}
      </div>
      <div className="flex justify-end">
        <button type="button" className={secondaryButton} onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="space-y-2">
      <h3 id={id} className="text-xs font-semibold uppercase tracking-wide text-subtle">
        {title}
      </h3>
      {children}
    </section>
  );
}

/** A note under a section whose controls this account may not use. */
function NoPower({ show }: { show: boolean }) {
  return show ? <p className="text-xs text-subtle">{t('roomSettings.noPower')}</p> : null;
}

// --- General -----------------------------------------------------------------------------------------------------

function GeneralTab({
  client,
  room,
  settings,
  onLeave,
}: {
  client: MatrixClient;
  room: Room;
  settings: RoomSettingsState;
  onLeave(): void;
}) {
  const [name, setName] = useState(settings.name);
  const [topic, setTopic] = useState(settings.topic);
  const [busy, setBusy] = useState(false);
  const { run, line } = useOutcome();
  const fileId = useId();
  const canEdit = settings.can['m.room.name'] || settings.can['m.room.topic'];
  const changed = name.trim() !== settings.name || topic.trim() !== settings.topic;

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!changed) return;
    setBusy(true);
    await run(
      async () => {
        if (name.trim() !== settings.name) await client.setRoomName(room.roomId, name.trim());
        if (topic.trim() !== settings.topic) await client.setRoomTopic(room.roomId, topic.trim());
      },
      t('roomSettings.saved'),
      t('roomSettings.failed'),
    );
    setBusy(false);
  }

  async function choosePicture(file: File | undefined) {
    if (!file) return;
    await run(
      async () => {
        const blob = await squareAvatar(file).catch(() => {
          throw new Error(t('profile.pictureUnreadable'));
        });
        const { content_uri } = await client.uploadContent(blob, { name: 'room-avatar', type: blob.type });
        await client.sendStateEvent(room.roomId, EventType.RoomAvatar, { url: content_uri }, '');
      },
      t('roomSettings.pictureSaved'),
      t('roomSettings.failed'),
    );
  }

  return (
    <>
      <form className="space-y-3" onSubmit={(e) => void save(e)} noValidate>
        <div className="flex flex-wrap items-center gap-3">
          <Avatar name={settings.name || room.name} seed={room.roomId} size={64} mxc={settings.avatarMxc} />
          <div className="flex flex-wrap gap-2">
            <input
              id={fileId}
              type="file"
              accept="image/*"
              className="peer sr-only"
              disabled={!settings.can['m.room.avatar']}
              onChange={(e) => {
                void choosePicture(e.target.files?.[0]);
                e.target.value = '';
              }}
            />
            <label
              htmlFor={fileId}
              aria-disabled={!settings.can['m.room.avatar']}
              className={`text-sm peer-focus-visible:outline-2 peer-focus-visible:outline-indigo-500 ${secondaryButton} ${
                settings.can['m.room.avatar'] ? 'cursor-pointer' : 'cursor-not-allowed opacity-50'
              }`}
            >
              {t('roomSettings.choosePicture')}
            </label>
            {settings.avatarMxc && (
              <button
                type="button"
                className={`text-sm ${secondaryButton}`}
                disabled={!settings.can['m.room.avatar']}
                onClick={() =>
                  void run(
                    () => client.sendStateEvent(room.roomId, EventType.RoomAvatar, {}, ''),
                    t('roomSettings.pictureRemoved'),
                    t('roomSettings.failed'),
                  )
                }
              >
                {t('roomSettings.removePicture')}
              </button>
            )}
          </div>
        </div>
        <label className="block space-y-1">
          <span className="text-sm">{t('roomSettings.name')}</span>
          <input
            className={`${inputClass} disabled:opacity-60`}
            value={name}
            maxLength={255}
            disabled={!settings.can['m.room.name']}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">{t('roomSettings.topic')}</span>
          <textarea
            className={`${inputClass} min-h-16 disabled:opacity-60`}
            value={topic}
            rows={2}
            disabled={!settings.can['m.room.topic']}
            onChange={(e) => setTopic(e.target.value)}
          />
        </label>
        <NoPower show={!canEdit} />
        {canEdit && (
          <div className="flex justify-end">
            <button type="submit" className={primaryButton} disabled={busy || !changed}>
              {t('roomSettings.save')}
            </button>
          </div>
        )}
        {line}
      </form>
      <Addresses client={client} room={room} settings={settings} />
      <Section title={t('roomSettings.leaveSection')}>
        <button type="button" className={`${secondaryButton} text-sm text-danger`} onClick={onLeave}>
          {t('roomSettings.leave')}
        </button>
      </Section>
    </>
  );
}

/** Local addresses on this server, the main (canonical) address, and the room directory listing. */
function Addresses({ client, room, settings }: { client: MatrixClient; room: Room; settings: RoomSettingsState }) {
  const server = client.getDomain() ?? '';
  const [local, setLocal] = useState<string[]>();
  const [draft, setDraft] = useState('');
  const [published, setPublished] = useState<boolean>();
  const { run, line } = useOutcome();
  const [formError, setFormError] = useState<string>();
  const canMain = settings.can['m.room.canonical_alias'];
  // Any member may add an address on their own server; removing one takes its creator or a moderator (the server says).
  const reload = () =>
    client.getLocalAliases(room.roomId).then(
      (reply) => setLocal(reply.aliases),
      () => setLocal([]),
    );
  // biome-ignore lint/correctness/useExhaustiveDependencies: loaded once per room
  useEffect(() => {
    void reload();
    client.getRoomDirectoryVisibility(room.roomId).then(
      (reply) => setPublished(reply.visibility === 'public'),
      () => setPublished(undefined),
    );
  }, [client, room.roomId]);

  const mainChoices = [
    ...new Set([...(settings.canonicalAlias ? [settings.canonicalAlias] : []), ...settings.altAliases, ...(local ?? [])]),
  ];

  async function add(event: FormEvent) {
    event.preventDefault();
    const alias = localAlias(draft, server);
    if (!alias) return setFormError(t('roomSettings.addressInvalid', { server }));
    setFormError(undefined);
    const ok = await run(
      () => client.createAlias(alias, room.roomId),
      t('roomSettings.addressAdded', { alias }),
      t('roomSettings.addressFailed'),
    );
    if (ok) {
      setDraft('');
      // The first address becomes the main one, as in Element.
      if (!settings.canonicalAlias && canMain)
        await run(
          () => client.sendStateEvent(room.roomId, EventType.RoomCanonicalAlias, canonicalAliasContent(settings, alias), ''),
          t('roomSettings.addressAdded', { alias }),
          t('roomSettings.failed'),
        );
    }
    await reload();
  }

  async function remove(alias: string) {
    await run(
      async () => {
        // The main address goes first, so the room never names an address that no longer leads to it.
        if (alias === settings.canonicalAlias || settings.altAliases.includes(alias)) {
          const next = alias === settings.canonicalAlias ? undefined : settings.canonicalAlias;
          await client.sendStateEvent(
            room.roomId,
            EventType.RoomCanonicalAlias,
            canonicalAliasContent({ ...settings, altAliases: settings.altAliases.filter((a) => a !== alias) }, next),
            '',
          );
        }
        await client.deleteAlias(alias);
      },
      t('roomSettings.addressRemoved', { alias }),
      t('roomSettings.addressFailed'),
    );
    await reload();
  }

  return (
    <Section title={t('roomSettings.addresses')}>
      <label className="block space-y-1">
        <span className="text-sm">{t('roomSettings.mainAddress')}</span>
        <select
          className={`${inputClass} disabled:opacity-60`}
          value={settings.canonicalAlias ?? ''}
          disabled={!canMain}
          onChange={(e) =>
            void run(
              () =>
                client.sendStateEvent(
                  room.roomId,
                  EventType.RoomCanonicalAlias,
                  canonicalAliasContent(settings, e.target.value || undefined),
                  '',
                ),
              t('roomSettings.saved'),
              t('roomSettings.failed'),
            )
          }
        >
          <option value="">{t('roomSettings.noMainAddress')}</option>
          {mainChoices.map((alias) => (
            <option key={alias} value={alias}>
              {alias}
            </option>
          ))}
        </select>
      </label>
      <p className="text-sm">{t('roomSettings.localAddresses', { server })}</p>
      {local === undefined ? (
        <p className="text-sm text-subtle">{t('common.loading')}</p>
      ) : local.length === 0 ? (
        <p className="text-sm text-subtle">{t('roomSettings.noLocalAddresses')}</p>
      ) : (
        <ul aria-label={t('roomSettings.localAddressesList')} className="space-y-1">
          {local.map((alias) => (
            <li key={alias} className="flex items-center gap-2 text-sm">
              <code className="min-w-0 flex-1 truncate">{alias}</code>
              <button
                type="button"
                className={`${secondaryButton} px-2 py-1 text-xs`}
                disabled={!settings.moderator}
                aria-label={t('roomSettings.removeAddress', { alias })}
                onClick={() => void remove(alias)}
              >
                {t('roomSettings.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="flex flex-wrap items-end gap-2" onSubmit={(e) => void add(e)} noValidate>
        <label className="min-w-0 flex-1 space-y-1">
          <span className="block text-sm">{t('roomSettings.newAddress')}</span>
          <span className="flex items-center gap-1">
            <span aria-hidden>#</span>
            <input className={inputClass} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="garden" />
            <span aria-hidden className="shrink-0 text-sm text-subtle">
              :{server}
            </span>
          </span>
        </label>
        <button type="submit" className={secondaryButton} disabled={draft.trim() === ''}>
          {t('roomSettings.addAddress')}
        </button>
      </form>
      <FormError error={formError} />
      {published !== undefined && (
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={published}
            disabled={!settings.moderator}
            onChange={(e) => {
              const visibility = e.target.checked ? 'public' : 'private';
              void run(
                () => client.setRoomDirectoryVisibility(room.roomId, visibility as never),
                t('roomSettings.saved'),
                t('roomSettings.failed'),
              ).then((ok) => ok && setPublished(visibility === 'public'));
            }}
          />
          {t('roomSettings.publish', { server })}
        </label>
      )}
      {line}
    </Section>
  );
}

// --- Security & privacy ------------------------------------------------------------------------------------------

/**
 * A setting's choices as radio buttons. The choice shows at once and stays while it is saved, until the room's state
 * (or the push rules) come back with it; a refused change shows the old value again.
 */
function RadioGroup<V extends string>({
  legend,
  value,
  options,
  disabled,
  onChange,
}: {
  legend: string;
  value: V;
  options: readonly { value: V; label: string; description?: string }[];
  disabled: boolean;
  onChange(value: V): Promise<boolean>;
}) {
  const name = useId();
  const [pending, setPending] = useState<V>();
  useEffect(() => {
    if (pending === value) setPending(undefined);
  }, [pending, value]);
  const shown = pending ?? value;
  return (
    <fieldset className="space-y-1" disabled={disabled}>
      <legend className="pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{legend}</legend>
      {options.map((option) => (
        <label
          key={option.value}
          className={`flex items-start gap-2 rounded-md p-1 text-sm ${disabled ? 'opacity-60' : 'hover:bg-surface-muted'}`}
        >
          <input
            type="radio"
            name={name}
            className="mt-1"
            value={option.value}
            checked={shown === option.value}
            onChange={() => {
              setPending(option.value);
              void onChange(option.value).then((ok) => ok || setPending(undefined));
            }}
          />
          <span>
            <span className="block">{option.label}</span>
            {option.description && <span className="block text-xs text-subtle">{option.description}</span>}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function SecurityTab({ client, room, settings }: { client: MatrixClient; room: Room; settings: RoomSettingsState }) {
  const { run, line } = useOutcome();
  const send = (type: EventType, content: Record<string, unknown>) =>
    run(() => client.sendStateEvent(room.roomId, type as never, content as never, ''), t('roomSettings.saved'), t('roomSettings.failed'));
  // Knocking: both room versions we serve (11 and the member-key version, which follows 12) allow it. A rule set
  // elsewhere (restricted) is shown as it is.
  const joinOptions: { value: JoinRule; label: string; description?: string }[] = [
    { value: 'invite', label: t('roomSettings.join.invite'), description: t('roomSettings.join.inviteDescription') },
    ...(knockAllowed(room)
      ? [{ value: 'knock' as JoinRule, label: t('roomSettings.join.knock'), description: t('roomSettings.join.knockDescription') }]
      : []),
    { value: 'public', label: t('roomSettings.join.public'), description: t('roomSettings.join.publicDescription') },
  ];
  if (!joinOptions.some((o) => o.value === settings.joinRule))
    joinOptions.push({ value: settings.joinRule, label: t('roomSettings.join.other', { rule: settings.joinRule }) });
  const historyOptions: { value: HistoryVisibility; label: string }[] = [
    { value: 'world_readable', label: t('roomSettings.history.worldReadable') },
    { value: 'shared', label: t('roomSettings.history.shared') },
    { value: 'invited', label: t('roomSettings.history.invited') },
    { value: 'joined', label: t('roomSettings.history.joined') },
  ];
  const blocked = !settings.can['m.room.join_rules'] && !settings.can['m.room.history_visibility'] && !settings.can['m.room.guest_access'];
  return (
    <>
      <RadioGroup
        legend={t('roomSettings.access')}
        value={settings.joinRule}
        options={joinOptions}
        disabled={!settings.can['m.room.join_rules']}
        onChange={(rule) => send(EventType.RoomJoinRules, { join_rule: rule })}
      />
      <label className={`flex items-center gap-2 text-sm ${settings.can['m.room.guest_access'] ? '' : 'opacity-60'}`}>
        <input
          type="checkbox"
          checked={settings.guestAccess}
          disabled={!settings.can['m.room.guest_access']}
          onChange={(e) => void send(EventType.RoomGuestAccess, { guest_access: e.target.checked ? 'can_join' : 'forbidden' })}
        />
        {t('roomSettings.guests')}
      </label>
      <RadioGroup
        legend={t('roomSettings.history')}
        value={settings.historyVisibility}
        options={historyOptions}
        disabled={!settings.can['m.room.history_visibility']}
        onChange={(visibility) => send(EventType.RoomHistoryVisibility, { history_visibility: visibility })}
      />
      <p className="text-xs text-subtle">{t('roomSettings.history.note')}</p>
      <NoPower show={blocked} />
      {line}
    </>
  );
}

// --- Roles -------------------------------------------------------------------------------------------------------

/** The levels Element names; any other level a member has is shown as Custom. */
const ROLE_LEVELS = [100, 50, 0] as const;
const roleLabel = (level: number) =>
  level === 100
    ? t('roomSettings.role.admin')
    : level === 50
      ? t('roomSettings.role.moderator')
      : level === 0
        ? t('roomSettings.role.default')
        : t('roomSettings.role.custom', { level });

function RolesTab({ client, room, settings }: { client: MatrixClient; room: Room; settings: RoomSettingsState }) {
  const vm = useRoomViewModel(room);
  const members = useRoomView(vm, selectMembers);
  const { loadMembers } = vm.getState();
  useEffect(() => loadMembers(), [loadMembers]);
  const { run, line } = useOutcome();
  const [demoteSelf, setDemoteSelf] = useState<{ member: RoomMemberRow; level: number }>();
  const me = client.getSafeUserId();
  const myIdentity = roomIdentities(room).identityOfUser(me);

  async function setLevel(member: RoomMemberRow, level: number) {
    await run(
      () => {
        const content = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent() ?? {};
        return client.sendStateEvent(
          room.roomId,
          EventType.RoomPowerLevels,
          withPowerLevel(content, member.identity, member.userId, level) as never,
          '',
        );
      },
      t('roomSettings.roleSet', { name: member.name, role: roleLabel(level) }),
      t('roomSettings.failed'),
    );
  }

  return (
    <>
      <p className="text-sm text-subtle">{t('roomSettings.rolesIntro')}</p>
      <NoPower show={!settings.can['m.room.power_levels']} />
      <ul aria-label={t('roomSettings.rolesList')} className="space-y-1">
        {members
          .filter((m) => m.membership === 'join')
          .map((member) => (
            <RoleRow
              key={member.identity}
              room={room}
              member={member}
              me={{ identity: myIdentity, userId: me }}
              canSetLevels={settings.can['m.room.power_levels']}
              onChange={(level) => (member.identity === myIdentity ? setDemoteSelf({ member, level }) : void setLevel(member, level))}
            />
          ))}
      </ul>
      {line}
      {demoteSelf && (
        <ConfirmDialog
          title={t('roomSettings.demoteSelf.title')}
          body={t('roomSettings.demoteSelf.body')}
          confirm={t('roomSettings.demoteSelf.confirm')}
          onConfirm={() => void setLevel(demoteSelf.member, demoteSelf.level)}
          onClose={() => setDemoteSelf(undefined)}
        />
      )}
    </>
  );
}

function RoleRow({
  room,
  member,
  me,
  canSetLevels,
  onChange,
}: {
  room: Room;
  member: RoomMemberRow;
  me: { identity: string; userId: string };
  canSetLevels: boolean;
  onChange(level: number): void;
}) {
  const current = powerOfIdentity(room, member.identity, member.userId);
  const creator = !Number.isFinite(current);
  const isSelf = member.identity === me.identity;
  const powers = memberPowers(room, me, { identity: member.identity, userId: member.userId, membership: member.membership });
  // Lowering yourself is allowed (the auth rules let you); raising anyone past your own level is not.
  const mine = powerOfIdentity(room, me.identity, me.userId);
  const canChange = !creator && (powers.changePower || (isSelf && canSetLevels));
  const levels = [...ROLE_LEVELS, ...(creator || (ROLE_LEVELS as readonly number[]).includes(current) ? [] : [current])];
  const selectId = useId();
  return (
    <li data-identity={member.identity} className="flex flex-wrap items-center gap-2 rounded-md px-1 py-1.5">
      <Avatar name={member.name} mxc={member.avatarMxc} seed={member.identity} size={28} />
      <div className="min-w-0 flex-1">
        <label htmlFor={selectId} className="block truncate text-sm">
          <SenderName name={member.name} />
        </label>
        <p className="flex min-w-0 flex-wrap items-center gap-1">
          <HandleBadge badge={member.profile.badge} />
        </p>
      </div>
      {creator ? (
        <span className="rounded bg-accent-surface px-1.5 text-xs text-accent-fg">{t('roomSettings.role.creator')}</span>
      ) : (
        <select
          id={selectId}
          className="shrink-0 rounded-md border border-line-strong bg-surface-raised px-2 py-1 text-sm text-fg focus:outline-2 focus:outline-indigo-500 disabled:opacity-60"
          value={String(current)}
          disabled={!canChange}
          onChange={(e) => onChange(Number(e.target.value))}
        >
          {levels.map((level) => (
            <option key={level} value={String(level)} disabled={level > mine && level !== current}>
              {roleLabel(level)}
            </option>
          ))}
        </select>
      )}
    </li>
  );
}

// --- Notifications -----------------------------------------------------------------------------------------------

function NotificationsTab({ client, room }: { client: MatrixClient; room: Room }) {
  const [rules, setRules] = useState(() => client.pushRules);
  useEffect(() => {
    const onData = (event: { getType(): string }) => event.getType() === 'm.push_rules' && setRules(client.pushRules);
    client.on(ClientEvent.AccountData, onData);
    return () => void client.off(ClientEvent.AccountData, onData);
  }, [client]);
  const level = notificationLevelOf(rules as PushRulesLike | undefined, room.roomId);
  const [busy, setBusy] = useState(false);
  const { run, line } = useOutcome();

  async function choose(next: NotificationLevel) {
    setBusy(true);
    const ok = await run(
      async () => {
        for (const change of notificationLevelChanges(rules as PushRulesLike | undefined, room.roomId, next)) {
          const kind = change.kind === 'override' ? PushRuleKind.Override : PushRuleKind.RoomSpecific;
          if (change.op === 'delete') await client.deletePushRule('global', kind, change.ruleId);
          else await client.addPushRule('global', kind, change.ruleId, change.body as never);
        }
        // The SDK's copy follows with the next sync's account data; read the rules now so the choice shows at once.
        setRules(await client.getPushRules());
      },
      t('roomSettings.saved'),
      t('roomSettings.failed'),
    );
    setBusy(false);
    return ok;
  }

  return (
    <>
      <RadioGroup
        legend={t('roomSettings.notifications')}
        value={level}
        disabled={busy}
        options={[
          { value: 'all', label: t('roomSettings.notify.all'), description: t('roomSettings.notify.allDescription') },
          { value: 'mentions', label: t('roomSettings.notify.mentions'), description: t('roomSettings.notify.mentionsDescription') },
          { value: 'mute', label: t('roomSettings.notify.mute'), description: t('roomSettings.notify.muteDescription') },
        ]}
        onChange={choose}
      />
      {line}
    </>
  );
}

/** Room versions 7 and later know the knock membership; our member-key version follows 12. */
function knockAllowed(room: Room): boolean {
  const version = room.getVersion();
  return !/^[1-6]$/.test(version);
}
