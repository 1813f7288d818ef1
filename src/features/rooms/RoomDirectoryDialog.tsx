// Explore rooms: the published room directory of your server or of another one (the server asks it over
// federation), searched by name, topic or alias, and joined from the list.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { openRoom } from '../../state/navigation';
import { useChat } from '../../state/chatStore';
import { Dialog, FormError } from '../../ui/Dialog';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { Avatar } from '../../ui/Avatar';
import { isServerName } from '../../protocol/ids';
import { publishedRooms, type PublishedRoom } from '../../domain/rooms/directory';
import { loadMemberRoot } from '../portable/deviceKeys';
import { MemberRootDialog } from '../portable/MemberRootPrompt';
import { joinWithMemberRoot, knockWithMemberRoot, memberRootNeed, waitForRoom } from '../portable/portableRooms';

const PAGE = 20;

interface Listing {
  server: string;
  term: string;
  rooms: PublishedRoom[];
  next?: string;
}

function ownServer(client: MatrixClient): string {
  const userId = client.getSafeUserId();
  return userId.slice(userId.indexOf(':') + 1);
}

async function fetchPage(
  client: MatrixClient,
  server: string,
  term: string,
  since?: string,
): Promise<{ rooms: PublishedRoom[]; next?: string }> {
  const reply = await client.publicRooms({
    ...(server !== ownServer(client) ? { server } : {}),
    limit: PAGE,
    ...(since ? { since } : {}),
    ...(term ? { filter: { generic_search_term: term } } : {}),
  });
  return { rooms: publishedRooms(reply.chunk), ...(typeof reply.next_batch === 'string' ? { next: reply.next_batch } : {}) };
}

export function RoomDirectoryDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const [server, setServer] = useState(() => ownServer(client));
  const [term, setTerm] = useState('');
  const [listing, setListing] = useState<Listing>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const [joining, setJoining] = useState<string>();
  const [askFor, setAskFor] = useState<{ accountKey: string; room: PublishedRoom; server: string; knock?: boolean }>();
  // Rooms asked to join (knocked) from here; the SDK's own membership says so too once the next sync arrives.
  const [knocked, setKnocked] = useState<ReadonlySet<string>>(new Set());
  const joinedRooms = useChat((s) => s.rooms);

  const load = useCallback(
    async (wantedServer: string, wantedTerm: string) => {
      setLoading(true);
      setError(undefined);
      try {
        const page = await fetchPage(client, wantedServer, wantedTerm);
        setListing({ server: wantedServer, term: wantedTerm, ...page });
      } catch (err) {
        setListing(undefined);
        setError(describeMatrixError(err, t('rooms.explore.failed', { server: wantedServer })));
      } finally {
        setLoading(false);
      }
    },
    [client],
  );

  useEffect(() => {
    void load(ownServer(client), '');
  }, [client, load]);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const wanted = server.trim();
    if (!isServerName(wanted)) return setError(t('rooms.explore.badServer'));
    void load(wanted, term.trim());
  }

  async function more() {
    if (!listing?.next) return;
    setLoading(true);
    try {
      const page = await fetchPage(client, listing.server, listing.term, listing.next);
      setListing({ ...listing, rooms: [...listing.rooms, ...page.rooms], ...(page.next ? { next: page.next } : { next: undefined }) });
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.explore.failed', { server: listing.server })));
    } finally {
      setLoading(false);
    }
  }

  async function join(room: PublishedRoom, via: string, memberRoot?: Uint8Array) {
    setJoining(room.roomId);
    setError(undefined);
    try {
      const need = memberRoot ? undefined : await memberRootNeed(client, loadMemberRoot);
      if (need?.kind === 'ask') return setAskFor({ accountKey: need.accountKey, room, server: via });
      const root = memberRoot ?? (need?.kind === 'root' ? need.memberRoot : undefined);
      const servers = via === ownServer(client) ? [] : [via];
      let roomId: string;
      if (root) {
        roomId = await joinWithMemberRoot(client, room.roomId, root, servers);
        await waitForRoom(client, roomId);
      } else {
        roomId = (await client.joinRoom(room.roomId, { viaServers: servers })).roomId;
      }
      openRoom(roomId, { arriving: true });
      onClose();
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.joinFailed')));
    } finally {
      setJoining(undefined);
    }
  }

  /** "Ask to join": a knock, in member-key rooms by the member key a join would use (so the accepted knock joins with it). */
  async function knock(room: PublishedRoom, via: string, memberRoot?: Uint8Array) {
    setJoining(room.roomId);
    setError(undefined);
    try {
      const need = memberRoot ? undefined : await memberRootNeed(client, loadMemberRoot);
      if (need?.kind === 'ask') return setAskFor({ accountKey: need.accountKey, room, server: via, knock: true });
      const root = memberRoot ?? (need?.kind === 'root' ? need.memberRoot : undefined);
      const servers = via === ownServer(client) ? [] : [via];
      if (root) await knockWithMemberRoot(client, room.roomId, root, servers);
      else await client.knockRoom(room.roomId, { viaServers: servers });
      setAskFor(undefined);
      setKnocked((before) => new Set(before).add(room.roomId));
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.explore.knockFailed')));
    } finally {
      setJoining(undefined);
    }
  }

  async function cancelKnock(room: PublishedRoom) {
    setJoining(room.roomId);
    setError(undefined);
    try {
      await client.leave(room.roomId);
      setKnocked((before) => {
        const after = new Set(before);
        after.delete(room.roomId);
        return after;
      });
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.explore.knockFailed')));
    } finally {
      setJoining(undefined);
    }
  }

  if (askFor) {
    return (
      <MemberRootDialog
        title={t('rooms.explore.title')}
        userId={client.getSafeUserId()}
        accountKey={askFor.accountKey}
        action="join"
        run={(root) => (askFor.knock ? knock(askFor.room, askFor.server, root) : join(askFor.room, askFor.server, root))}
        failed={t('rooms.joinFailed')}
        onBusy={(busy) => setJoining(busy ? askFor.room.roomId : undefined)}
        onError={setError}
        onCancel={() => setAskFor(undefined)}
        onClose={onClose}
      />
    );
  }

  const joinedIds = new Set(joinedRooms.filter((r) => r.membership === 'join').map((r) => r.roomId));
  return (
    <Dialog title={t('rooms.explore.title')} onClose={onClose} wide>
      <form className="space-y-2" onSubmit={onSubmit} noValidate>
        <div className="grid gap-2 sm:grid-cols-[3fr_2fr]">
          <label className="block min-w-0 space-y-1">
            <span className="text-sm">{t('rooms.explore.search')}</span>
            <input
              type="search"
              className={inputClass}
              value={term}
              onChange={(e) => setTerm(e.target.value)}
              placeholder={t('rooms.explore.searchPlaceholder')}
              autoFocus
              spellCheck={false}
            />
          </label>
          <label className="block min-w-0 space-y-1">
            <span className="text-sm">{t('rooms.explore.server')}</span>
            <input
              className={inputClass}
              value={server}
              onChange={(e) => setServer(e.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
          </label>
        </div>
        <div className="flex justify-end gap-2">
          <button type="button" className={secondaryButton} onClick={onClose}>
            {t('common.close')}
          </button>
          <button type="submit" className={primaryButton} disabled={loading}>
            {t('rooms.explore.submit')}
          </button>
        </div>
      </form>
      <FormError error={error} />
      <div aria-live="polite" aria-busy={loading}>
        {loading && !listing && <p className="text-sm text-subtle">{t('common.loading')}</p>}
        {listing && listing.rooms.length === 0 && (
          <p className="text-sm text-subtle">
            {listing.term ? t('rooms.explore.noMatch', { server: listing.server }) : t('rooms.explore.none', { server: listing.server })}
          </p>
        )}
        {listing && listing.rooms.length > 0 && (
          <ul aria-label={t('rooms.explore.results', { server: listing.server })} className="max-h-[50vh] space-y-1 overflow-y-auto">
            {listing.rooms.map((room) => (
              <DirectoryRoom
                key={room.roomId}
                room={room}
                joined={joinedIds.has(room.roomId)}
                knocked={knocked.has(room.roomId) || client.getRoom(room.roomId)?.getMyMembership() === 'knock'}
                onKnock={() => void knock(room, listing.server)}
                onCancelKnock={() => void cancelKnock(room)}
                busy={joining === room.roomId}
                disabled={joining !== undefined}
                onJoin={() => void join(room, listing.server)}
                onOpen={() => {
                  openRoom(room.roomId);
                  onClose();
                }}
              />
            ))}
          </ul>
        )}
        {listing?.next && (
          <button type="button" className={`mt-2 w-full text-sm ${secondaryButton}`} disabled={loading} onClick={() => void more()}>
            {t('rooms.explore.more')}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function DirectoryRoom({
  room,
  joined,
  knocked,
  busy,
  disabled,
  onJoin,
  onKnock,
  onCancelKnock,
  onOpen,
}: {
  room: PublishedRoom;
  joined: boolean;
  knocked: boolean;
  onKnock: () => void;
  onCancelKnock: () => void;
  busy: boolean;
  disabled: boolean;
  onJoin: () => void;
  onOpen: () => void;
}) {
  return (
    <li className="flex items-start gap-2 rounded-md border border-line p-2">
      <Avatar name={room.name} mxc={room.avatarMxc} seed={room.roomId} size={32} />
      <div className="min-w-0 flex-1">
        <p className="truncate font-medium">
          <bdi>{room.name}</bdi>
        </p>
        <p className="truncate text-xs text-subtle">
          {room.alias ?? room.roomId} · {t('rooms.explore.members', { count: room.members })}
        </p>
        {room.topic && <p className="line-clamp-2 text-sm text-muted">{room.topic}</p>}
      </div>
      {joined ? (
        <button
          type="button"
          className={`text-sm ${secondaryButton}`}
          aria-label={t('rooms.explore.openRoom', { name: room.name })}
          onClick={onOpen}
        >
          {t('rooms.explore.open')}
        </button>
      ) : knocked ? (
        <div className="flex shrink-0 flex-col items-end gap-1">
          <span role="status" className="text-xs text-muted">
            {t('rooms.explore.knockSent')}
          </span>
          <button
            type="button"
            className={`text-sm ${secondaryButton}`}
            aria-label={t('rooms.explore.knockCancelRoom', { name: room.name })}
            disabled={disabled}
            onClick={onCancelKnock}
          >
            {t('rooms.explore.knockCancel')}
          </button>
        </div>
      ) : room.knock ? (
        <button
          type="button"
          className={`text-sm ${primaryButton}`}
          aria-label={t('rooms.explore.knockRoom', { name: room.name })}
          disabled={disabled}
          onClick={onKnock}
        >
          {busy ? t('rooms.join.busy') : t('rooms.explore.knock')}
        </button>
      ) : (
        <button
          type="button"
          className={`text-sm ${primaryButton}`}
          aria-label={t('rooms.explore.joinRoom', { name: room.name })}
          disabled={disabled}
          onClick={onJoin}
        >
          {busy ? t('rooms.join.busy') : room.joinable ? t('rooms.join.submit') : t('rooms.explore.tryJoin')}
        </button>
      )}
    </li>
  );
}
