import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { EventType, Preset, Visibility, type MatrixClient } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { openRoom } from '../../state/navigation';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { inputClass } from '../../ui/controls';
import { Avatar } from '../../ui/Avatar';
import { isUserId } from '../../protocol/ids';
import { directoryPeople, existingDirectRoom, type DirectoryUser } from '../../domain/rooms/directory';
import type { SenderProfile } from '../../domain/identity/describeSender';
import { HandleBadge } from '../identity/HandleBadge';
import { SenderName } from '../identity/SenderName';
import { loadMemberRoot } from '../portable/deviceKeys';
import { MemberRootDialog } from '../portable/MemberRootPrompt';
import { canEncryptTo, encryptionStateEvent } from '../../matrix/crypto';
import { createRoomWithMemberRoot, memberRootNeed, waitForRoom } from '../portable/portableRooms';

/** Adds `roomId` to this account's `m.direct` under `userId` (the spec's way of marking a DM), keeping the rest. */
export async function markDirect(client: MatrixClient, userId: string, roomId: string): Promise<void> {
  const direct = { ...(client.getAccountData(EventType.Direct)?.getContent<Record<string, string[]>>() ?? {}) };
  const rooms = direct[userId] ?? [];
  if (rooms.includes(roomId)) return;
  direct[userId] = [...rooms, roomId];
  await client.setAccountData(EventType.Direct, direct);
}

/** The DM this account already has with `userId`, if any (m.direct, both still in it). */
export function findDirectRoom(client: MatrixClient, userId: string): string | undefined {
  const direct = client.getAccountData(EventType.Direct)?.getContent<Record<string, unknown>>();
  return existingDirectRoom(direct, userId, (roomId, who) => client.getRoom(roomId)?.getMember(who)?.membership, client.getSafeUserId());
}

const SEARCH_DELAY_MS = 250;

/** The user directory as the field is typed in: results for the latest term only (older answers are dropped). */
function useDirectorySearch(client: MatrixClient, term: string) {
  const [results, setResults] = useState<{ term: string; users: DirectoryUser[] }>({ term: '', users: [] });
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const wanted = term.trim();
    if (wanted.length < 2) return setResults({ term: wanted, users: [] });
    let current = true;
    const timer = setTimeout(() => {
      client
        .searchUserDirectory({ term: wanted, limit: 10 })
        .then((reply) => {
          if (!current) return;
          setFailed(false);
          setResults({ term: wanted, users: Array.isArray(reply.results) ? (reply.results as DirectoryUser[]) : [] });
        })
        .catch(() => current && setFailed(true));
    }, SEARCH_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, term]);
  return { ...results, failed };
}

/**
 * Starts a direct message: search people (the user directory) or type a full user ID. A DM you already have with
 * them is offered instead of a second one; a new one is a private room (`is_direct`, trusted private chat) with
 * one invitee, marked in m.direct.
 */
export function DirectMessageDialog({ onClose, initialUserId = '' }: { onClose: () => void; initialUserId?: string }) {
  const client = useClient();
  const [query, setQuery] = useState(initialUserId);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Portable accounts without a remembered member-key root are asked for the recovery key first.
  const [askFor, setAskFor] = useState<string>();
  const search = useDirectorySearch(client, query);
  const myUserId = client.getSafeUserId();
  const people = useMemo(() => directoryPeople(search.users, query, myUserId), [search.users, query, myUserId]);
  const target = query.trim();
  const existing = isUserId(target) ? findDirectRoom(client, target) : undefined;

  function openExisting(roomId: string) {
    openRoom(roomId);
    onClose();
  }

  async function startWith(userId: string) {
    if (userId === myUserId) return setError(t('rooms.dm.self'));
    const already = findDirectRoom(client, userId);
    if (already) return openExisting(already);
    setBusy(true);
    setError(undefined);
    try {
      const need = await memberRootNeed(client, loadMemberRoot);
      if (need.kind === 'ask') return setAskFor(need.accountKey);
      await start(userId, need.kind === 'root' ? need.memberRoot : undefined);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.dm.failed')));
    } finally {
      setBusy(false);
    }
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!target) return setError(t('rooms.dm.empty'));
    if (!isUserId(target)) return setError(people.length > 0 ? t('rooms.dm.pick') : t('rooms.dm.badUserId'));
    await startWith(target);
  }

  async function start(userId: string, memberRoot: Uint8Array | undefined) {
    // Encrypted by default, as in Element, when the partner has a device to encrypt to.
    const encrypt = await canEncryptTo(client, [userId]);
    const options = {
      is_direct: true,
      preset: Preset.TrustedPrivateChat,
      visibility: Visibility.Private,
      invite: [userId],
      ...(encrypt ? { initial_state: [encryptionStateEvent] } : {}),
    };
    const roomId = memberRoot ? await createRoomWithMemberRoot(client, options, memberRoot) : (await client.createRoom(options)).room_id;
    if (memberRoot) await waitForRoom(client, roomId);
    await markDirect(client, userId, roomId);
    openRoom(roomId, { arriving: true });
    onClose();
  }

  if (askFor) {
    return (
      <MemberRootDialog
        title={t('rooms.dm.title')}
        userId={myUserId}
        accountKey={askFor}
        action="create"
        run={(root) => start(target, root)}
        failed={t('rooms.dm.failed')}
        onBusy={setBusy}
        onError={setError}
        onCancel={() => setAskFor(undefined)}
        onClose={onClose}
      />
    );
  }

  const searching = target.length >= 2 && search.term !== target && !isUserId(target);
  return (
    <Dialog title={t('rooms.dm.title')} onClose={onClose}>
      <form className="space-y-3" onSubmit={onSubmit} noValidate>
        <label className="block space-y-1">
          <span className="text-sm">{t('rooms.dm.userId')}</span>
          <input
            className={inputClass}
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setError(undefined);
            }}
            placeholder={t('rooms.dm.placeholder')}
            aria-describedby="dm-search-hint"
            autoFocus
            spellCheck={false}
            autoComplete="off"
          />
          <span id="dm-search-hint" className="block text-xs text-subtle">
            {t('rooms.dm.hint')}
          </span>
        </label>
        <div aria-live="polite" className="space-y-2">
          {searching && <p className="text-sm text-subtle">{t('rooms.dm.searching')}</p>}
          {search.failed && <p className="text-sm text-subtle">{t('rooms.dm.searchFailed')}</p>}
          {!searching && target.length >= 2 && people.length === 0 && !search.failed && (
            <p className="text-sm text-subtle">{t('rooms.dm.noResults')}</p>
          )}
          {people.length > 0 && (
            <ul aria-label={t('rooms.dm.results')} className="max-h-64 space-y-1 overflow-y-auto">
              {people.map((person) => (
                <PersonOption
                  key={person.identity}
                  person={person}
                  selected={person.userId === target}
                  disabled={busy}
                  onPick={() => {
                    setQuery(person.userId);
                    void startWith(person.userId);
                  }}
                />
              ))}
            </ul>
          )}
          {existing && <p className="rounded-md border border-line bg-surface-muted p-2 text-sm">{t('rooms.dm.existing')}</p>}
        </div>
        <FormError error={error} />
        <DialogActions
          submit={existing ? t('rooms.dm.openExisting') : t('rooms.dm.submit')}
          busy={busy}
          busyLabel={t('rooms.dm.busy')}
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}

/** One person found: picture, name and handle (or badge) as everywhere else; choosing them starts (or opens) the DM. */
function PersonOption({
  person,
  selected,
  disabled,
  onPick,
}: {
  person: SenderProfile;
  selected: boolean;
  disabled: boolean;
  onPick: () => void;
}) {
  return (
    <li>
      <button
        type="button"
        disabled={disabled}
        aria-label={t('rooms.dm.person', { name: person.name, handle: person.handleLabel })}
        aria-current={selected || undefined}
        onClick={onPick}
        className={`flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500 ${
          selected ? 'bg-accent-surface' : ''
        }`}
      >
        <Avatar name={person.name} mxc={person.avatarMxc} seed={person.identity} size={28} />
        <span className="min-w-0 flex-1">
          <SenderName name={person.name} className="block truncate text-sm" />
          <HandleBadge badge={person.badge} className="block" />
        </span>
      </button>
    </li>
  );
}
