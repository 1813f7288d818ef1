// The inspector's actions on the member it shows (Element's user info has the same): Mention, Message, Ignore,
// and, when your power allows, Kick, Ban, Unban and a change of power level. Every membership and power change
// names the member key (domain/identity/memberActions), never a handle an impostor may share; each asks first,
// naming the person by key and by handle.
import { useState, type FormEvent } from 'react';
import { EventType, type MatrixClient, type Room, type RoomMember } from 'matrix-js-sdk';
import { t } from '../../i18n';
import type { Badge } from '../../domain/identity/badge';
import { actionTarget, memberPowers, powerOfIdentity, withPowerLevel } from '../../domain/identity/memberActions';
import { roomIdentities } from '../../domain/room/roomIdentities';
import { chatStore } from '../../state/chatStore';
import { openRoom } from '../../state/navigation';
import { describeMatrixError } from '../../matrix/errors';
import { Dialog, FormError } from '../../ui/Dialog';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { DirectMessageDialog } from '../rooms/DirectMessageDialog';
import { insertMention } from './mentions';

type Confirm = { kind: 'kick' | 'ban' | 'unban' } | { kind: 'power'; level: number };

const confirmTitle = {
  kick: (name: string) => t('identity.actions.confirmKick', { name }),
  ban: (name: string) => t('identity.actions.confirmBan', { name }),
  unban: (name: string) => t('identity.actions.confirmUnban', { name }),
};
const doneText = {
  kick: (name: string) => t('identity.actions.kicked', { name }),
  ban: (name: string) => t('identity.actions.banned', { name }),
  unban: (name: string) => t('identity.actions.unbanned', { name }),
  power: (name: string) => t('identity.actions.powerSet', { name }),
};
const submitText = {
  kick: () => t('identity.actions.kick'),
  ban: () => t('identity.actions.ban'),
  unban: () => t('identity.actions.unban'),
  power: () => t('identity.actions.setPower'),
};

/** The key in groups of four, as the inspector shows it. */
function keyGroups(identity: string): string {
  return identity.match(/.{1,4}/g)?.join(' ') ?? identity;
}

/** How a confirmation names the handle: a verified one as it is; a claim as a claim. */
function handleWords(badge: Badge, fallback: string): string {
  switch (badge.kind) {
    case 'plain':
    case 'verified':
      return badge.handle;
    case 'unverified':
    case 'pending':
    case 'contested':
      return badge.claimedHandle ? t('identity.actions.claimUnverified', { claim: badge.claimedHandle }) : fallback;
    case 'erased':
      return fallback;
  }
}

/** A DM this account already has with `userId` (m.direct, joined), if any. */
function existingDirect(client: MatrixClient, userId: string): string | undefined {
  const direct = client.getAccountData(EventType.Direct)?.getContent<Record<string, string[]>>() ?? {};
  return (direct[userId] ?? []).find((roomId) => client.getRoom(roomId)?.getMyMembership() === 'join');
}

export function MemberActions({
  client,
  room,
  identity,
  name,
  badge,
  handleLabel,
  member,
  onClose,
}: {
  client: MatrixClient;
  room: Room;
  identity: string;
  name: string;
  badge: Badge;
  handleLabel: string;
  member?: RoomMember;
  onClose(): void;
}) {
  const me = client.getUserId() ?? '';
  const myIdentity = roomIdentities(room).identityOfUser(me);
  const isSelf = identity === myIdentity;
  const userId = member?.userId ?? identity;
  const [ignored, setIgnored] = useState(() => client.getIgnoredUsers().includes(userId));
  const [confirm, setConfirm] = useState<Confirm>();
  const [dm, setDm] = useState(false);
  const [status, setStatus] = useState<string>();
  const powers = memberPowers(
    room,
    { identity: myIdentity, userId: me },
    { identity, userId: member?.userId, membership: member?.membership },
  );
  const currentPower = roomPowerOf(room, identity, member?.userId);
  const [level, setLevel] = useState(String(currentPower));
  // A DM goes to a user ID: only a handle that is verified (or a classic room's user ID) is one.
  const dmTarget = badge.kind === 'verified' || badge.kind === 'plain' ? badge.handle : undefined;

  function mention() {
    const roomId = room.roomId;
    const draft = chatStore.getState().drafts[roomId] ?? '';
    const spaced = draft === '' || draft.endsWith(' ') ? draft : `${draft} `;
    chatStore.getState().setDraft(roomId, insertMention(spaced, spaced.length, spaced.length, { name, userId }).text);
    onClose();
  }

  function message() {
    if (!dmTarget) return;
    const existing = existingDirect(client, dmTarget);
    if (existing) {
      onClose();
      openRoom(existing);
    } else setDm(true);
  }

  async function toggleIgnore() {
    const list = client.getIgnoredUsers();
    const next = ignored ? list.filter((u) => u !== userId) : [...new Set([...list, userId])];
    try {
      await client.setIgnoredUsers(next);
      setIgnored(!ignored);
      setStatus(ignored ? t('identity.actions.unignored', { name }) : t('identity.actions.ignored', { name }));
    } catch (err) {
      setStatus(describeMatrixError(err, t('identity.actions.failed')));
    }
  }

  if (dm && dmTarget) return <DirectMessageDialog initialUserId={dmTarget} onClose={() => setDm(false)} />;

  const levelNumber = Number(level);
  const levelValid = level.trim() !== '' && Number.isSafeInteger(levelNumber) && levelNumber <= powers.maxPower;

  return (
    <section aria-label={t('identity.actions.title')} className="space-y-2 text-sm">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">{t('identity.actions.title')}</h3>
      <div className="flex flex-wrap gap-2">
        {!isSelf && (
          <button type="button" className={`${secondaryButton} text-sm`} onClick={mention}>
            {t('identity.actions.mention')}
          </button>
        )}
        {!isSelf && (
          <button
            type="button"
            className={`${secondaryButton} text-sm`}
            disabled={!dmTarget}
            title={dmTarget ? undefined : t('identity.actions.noDm')}
            onClick={message}
          >
            {t('identity.actions.message')}
          </button>
        )}
        {!isSelf && (
          <button type="button" className={`${secondaryButton} text-sm`} aria-pressed={ignored} onClick={() => void toggleIgnore()}>
            {ignored ? t('identity.actions.unignore') : t('identity.actions.ignore')}
          </button>
        )}
        {powers.kick && (
          <button type="button" className={`${secondaryButton} text-sm text-danger`} onClick={() => setConfirm({ kind: 'kick' })}>
            {t('identity.actions.kick')}
          </button>
        )}
        {powers.ban && (
          <button type="button" className={`${secondaryButton} text-sm text-danger`} onClick={() => setConfirm({ kind: 'ban' })}>
            {t('identity.actions.ban')}
          </button>
        )}
        {powers.unban && (
          <button type="button" className={`${secondaryButton} text-sm`} onClick={() => setConfirm({ kind: 'unban' })}>
            {t('identity.actions.unban')}
          </button>
        )}
      </div>
      {powers.changePower && (
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            if (levelValid && levelNumber !== currentPower) setConfirm({ kind: 'power', level: levelNumber });
          }}
        >
          <label className="space-y-1">
            <span className="block text-xs text-subtle">{t('identity.actions.powerLevel', { max: powers.maxPower })}</span>
            <input
              className={`${inputClass} w-28`}
              type="number"
              max={powers.maxPower}
              value={level}
              onChange={(e) => setLevel(e.target.value)}
            />
          </label>
          <button type="submit" className={`${secondaryButton} text-sm`} disabled={!levelValid || levelNumber === currentPower}>
            {t('identity.actions.setPower')}
          </button>
        </form>
      )}
      {status && (
        <p role="status" className="text-xs text-subtle">
          {status}
        </p>
      )}
      {confirm && (
        <ConfirmAction
          client={client}
          room={room}
          identity={identity}
          shownAs={member?.userId}
          confirm={confirm}
          who={{ name, key: keyGroups(identity), handle: handleWords(badge, handleLabel) }}
          onDone={(done) => {
            setConfirm(undefined);
            if (done) setStatus(done);
          }}
        />
      )}
    </section>
  );
}

/** The member's power now, for the level field (memberActions' rule, which knows member keys). */
function roomPowerOf(room: Room, identity: string, userId: string | undefined): number {
  const power = powerOfIdentity(room, identity, userId);
  return Number.isFinite(power) ? power : 100;
}

function ConfirmAction({
  client,
  room,
  identity,
  shownAs,
  confirm,
  who,
  onDone,
}: {
  client: MatrixClient;
  room: Room;
  identity: string;
  shownAs?: string;
  confirm: Confirm;
  who: { name: string; key: string; handle: string };
  onDone(status: string | undefined): void;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const target = actionTarget(identity);
  const title =
    confirm.kind === 'power'
      ? t('identity.actions.confirmPowerTitle', { name: who.name, level: confirm.level })
      : confirmTitle[confirm.kind](who.name);

  async function run(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const why = reason.trim() || undefined;
    try {
      if (confirm.kind === 'kick') await client.kick(room.roomId, target, why);
      else if (confirm.kind === 'ban') await client.ban(room.roomId, target, why);
      else if (confirm.kind === 'unban') await client.unban(room.roomId, target);
      else if (confirm.kind === 'power') {
        const content = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent() ?? {};
        await client.sendStateEvent(
          room.roomId,
          EventType.RoomPowerLevels,
          withPowerLevel(content, identity, shownAs, confirm.level) as never,
          '',
        );
      }
      onDone(doneText[confirm.kind](who.name));
    } catch (err) {
      setError(describeMatrixError(err, t('identity.actions.failed')));
      setBusy(false);
    }
  }

  return (
    <Dialog title={title} onClose={() => onDone(undefined)}>
      <form className="space-y-3" onSubmit={(e) => void run(e)}>
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-subtle">{t('identity.actions.who')}</dt>
          <dd>
            <bdi>{who.name}</bdi>
          </dd>
          <dt className="text-subtle">{t('identity.actions.handle')}</dt>
          <dd data-testid="confirm-handle">
            <bdi>{who.handle}</bdi>
          </dd>
          <dt className="text-subtle">{t('identity.inspector.memberKey')}</dt>
          <dd>
            <code className="break-all font-mono text-xs" data-testid="confirm-key">
              {who.key}
            </code>
          </dd>
        </dl>
        {confirm.kind !== 'power' && confirm.kind !== 'unban' && (
          <label className="block space-y-1">
            <span className="text-sm">{t('identity.actions.reason')}</span>
            <input className={inputClass} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
        )}
        <FormError error={error} />
        <div className="flex justify-end gap-2">
          <button type="button" className={secondaryButton} onClick={() => onDone(undefined)}>
            {t('common.cancel')}
          </button>
          <button
            type="submit"
            className={confirm.kind === 'kick' || confirm.kind === 'ban' ? `${primaryButton} bg-red-600 hover:bg-red-500` : primaryButton}
            disabled={busy}
          >
            {submitText[confirm.kind]()}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
