// The main pane: what the URL names. A room the client knows and has joined opens its chat; an alias is
// looked up and its URL replaced by the room ID's; a room this account is not in says so, with a way to join.
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { useClient } from '../ui/clientContext';
import { useChat } from '../state/chatStore';
import { describeMatrixError } from '../matrix/errors';
import { primaryButton, secondaryButton } from '../ui/controls';
import { JoinRoomDialog } from '../features/rooms/JoinRoomDialog';
import { goHome, openRoom, useRoute } from '../state/navigation';
import type { Route } from '../domain/routes';
import { isRoomAlias } from '../protocol/ids';
import { t } from '../i18n';
import { loadMemberRoot } from '../features/portable/deviceKeys';
import { MemberRootDialog } from '../features/portable/MemberRootPrompt';
import { knockWithMemberRoot, memberRootNeed } from '../features/portable/portableRooms';

const ChatView = lazy(() => import('../features/chat/ChatView'));
const SettingsView = lazy(() => import('../features/settings/SettingsView'));

const loading = (
  <div role="status" className="m-auto text-subtle">
    {t('common.loading')}
  </div>
);

/** `onSignOut` ends the session (settings: deactivating the account); the shell passes it, so no feature imports it. */
export function RouteView({ route, onSignOut }: { route: Route; onSignOut(): Promise<void> }) {
  switch (route.kind) {
    case 'home':
      return <div className="m-auto p-6 text-center text-subtle">{t('route.home')}</div>;
    case 'room':
      return isRoomAlias(route.roomIdOrAlias) ? (
        <AliasRoute key={route.roomIdOrAlias} alias={route.roomIdOrAlias} eventId={route.eventId} />
      ) : (
        <RoomRoute key={route.roomIdOrAlias} roomId={route.roomIdOrAlias} eventId={route.eventId} via={route.via} />
      );
    case 'settings':
      return (
        <Suspense fallback={loading}>
          <SettingsView section={route.section} onSignOut={onSignOut} />
        </Suspense>
      );
    case 'unknown':
      return (
        <Message title={t('route.unknown.title')}>
          <p>{t('route.unknown.body')}</p>
        </Message>
      );
  }
}

function RoomRoute({ roomId, eventId, via }: { roomId: string; eventId?: string; via?: string[] }) {
  const client = useClient();
  const membership = useChat((s) => s.rooms.find((r) => r.roomId === roomId)?.membership);
  const starting = useChat((s) => s.connection === 'starting');
  const arriving = useRoute((s) => s.arriving.includes(roomId));
  if (membership === 'join') {
    return (
      <Suspense fallback={loading}>
        <ChatView roomId={roomId} eventId={eventId} />
      </Suspense>
    );
  }
  // Before the first sync the list is the cache's; a room just created or joined comes with a later sync.
  if (membership === undefined && (starting || arriving)) {
    return (
      <div role="status" className="m-auto text-subtle">
        {t('route.opening')}
      </div>
    );
  }
  const room = client.getRoom(roomId);
  const name = room?.name && room.name !== roomId ? room.name : undefined;
  if (membership === 'knock') {
    return (
      <Message title={name ? t('route.knocked.title', { name }) : t('route.knocked.thisRoom')}>
        <p role="status">{t('route.knocked.body')}</p>
        <CancelKnockButton roomId={roomId} name={name ?? roomId} />
      </Message>
    );
  }
  return (
    <Message
      title={
        membership === 'invite' ? (name ? t('route.invited.title', { name }) : t('route.invited.thisRoom')) : t('route.notJoined.title')
      }
    >
      <p>
        {membership === 'invite' ? t('route.invited.body') : name ? t('route.notJoined.named', { name }) : t('route.notJoined.unnamed')}
      </p>
      <p className="break-all font-mono text-xs">{roomId}</p>
      <div className="flex flex-wrap justify-center gap-2">
        <JoinButton address={roomId} via={via} eventId={eventId} />
        {membership !== 'invite' && <KnockButton roomId={roomId} via={via} />}
      </div>
    </Message>
  );
}

/** `#/room/#alias:server`: one directory lookup, then the room ID's route takes this one's place in history. */
function AliasRoute({ alias, eventId }: { alias: string; eventId?: string }) {
  const client = useClient();
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    let live = true;
    // A joined room that carries the alias answers without the server.
    const local = client.getRooms().find((room) => room.getCanonicalAlias() === alias || room.getAltAliases().includes(alias));
    if (local) {
      openRoom(local.roomId, { eventId, replace: true });
      return;
    }
    client.getRoomIdForAlias(alias).then(
      ({ room_id: roomId, servers }) => {
        if (!live) return;
        openRoom(roomId, { eventId, replace: true, ...(servers.length ? { via: servers.slice(0, 3) } : {}) });
      },
      (error: unknown) => {
        if (!live) return;
        const code = (error as { errcode?: string }).errcode;
        setFailure(
          code === 'M_NOT_FOUND'
            ? t('route.alias.notFound', { alias })
            : describeMatrixError(error, t('route.alias.lookupFailed', { alias })),
        );
      },
    );
    return () => {
      live = false;
    };
  }, [client, alias, eventId]);
  if (!failure) {
    return (
      <div role="status" className="m-auto text-subtle">
        {t('route.alias.lookingUp', { alias })}
      </div>
    );
  }
  return (
    <Message title={t('route.alias.title')}>
      <p>{failure}</p>
    </Message>
  );
}

function JoinButton({ address, eventId }: { address: string; via?: string[]; eventId?: string }) {
  const [joining, setJoining] = useState(false);
  return (
    <>
      <button className={primaryButton} onClick={() => setJoining(true)}>
        {t('route.join')}
      </button>
      {joining && (
        <JoinRoomDialog
          initialAddress={address}
          onClose={() => setJoining(false)}
          // The same route, the room now joined: a permalink to an event still shows that event.
          onJoined={(roomId) => openRoom(roomId, { eventId, replace: true, arriving: true })}
        />
      )}
    </>
  );
}

function Message({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title} className="m-auto max-w-md space-y-3 p-6 text-center text-muted">
      <h1 className="text-lg font-semibold text-fg">{title}</h1>
      {children}
      <p>
        <button className={secondaryButton} onClick={() => goHome()}>
          {t('chat.back')}
        </button>
      </p>
    </section>
  );
}

/**
 * "Ask to join" from a room link: a knock (through the link's via servers), which the room's server refuses with a
 * reason when the room does not take requests. In member-key rooms the knock is by the member key a join would use.
 */
function KnockButton({ roomId, via = [] }: { roomId: string; via?: string[] }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [askRoot, setAskRoot] = useState<string>();
  async function knock(memberRoot?: Uint8Array) {
    setBusy(true);
    setError(undefined);
    try {
      const need = memberRoot ? undefined : await memberRootNeed(client, loadMemberRoot);
      if (need?.kind === 'ask') return setAskRoot(need.accountKey);
      const root = memberRoot ?? (need?.kind === 'root' ? need.memberRoot : undefined);
      if (root) await knockWithMemberRoot(client, roomId, root, via);
      else await client.knockRoom(roomId, { viaServers: via });
      setAskRoot(undefined);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.explore.knockFailed')));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button className={secondaryButton} disabled={busy} onClick={() => void knock()}>
        {busy ? t('rooms.join.busy') : t('rooms.explore.knock')}
      </button>
      {error && (
        <p role="alert" className="w-full text-sm text-danger">
          {error}
        </p>
      )}
      {askRoot && (
        <MemberRootDialog
          title={t('rooms.explore.knock')}
          userId={client.getSafeUserId()}
          accountKey={askRoot}
          action="join"
          run={(root) => knock(root)}
          failed={t('rooms.explore.knockFailed')}
          onBusy={setBusy}
          onError={setError}
          onCancel={() => setAskRoot(undefined)}
          onClose={() => setAskRoot(undefined)}
        />
      )}
    </>
  );
}

function CancelKnockButton({ roomId, name }: { roomId: string; name: string }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function cancel() {
    setBusy(true);
    setError(undefined);
    try {
      await client.leave(roomId);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.explore.knockFailed')));
      setBusy(false);
    }
  }
  return (
    <>
      <button
        className={secondaryButton}
        aria-label={t('rooms.explore.knockCancelRoom', { name })}
        disabled={busy}
        onClick={() => void cancel()}
      >
        {t('rooms.explore.knockCancel')}
      </button>
      {error && (
        <p role="alert" className="text-sm text-danger">
          {error}
        </p>
      )}
    </>
  );
}
