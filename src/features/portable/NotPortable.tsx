// "Not portable": a room whose member key the server made (an invite while the invite-key pool was empty,
// PROTOCOL.md §5), so the recovery key cannot bring it back and a move re-invites instead of keeping the identity.
import { useEffect, useState } from 'react';
import type { Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { CREATOR_NONCE_FIELD, KEY_NONCE_FIELD, STABLE_ID_FIELD, STABLE_ID_STATE_KEY_FIELD } from '../../protocol';
import { useClient } from '../../ui/clientContext';
import { logger } from '../../platform/logger';
import { loadMemberRoot } from './deviceKeys';
import { memberKeyOrigin, type KeyFacts } from './keyOrigin';
import { portableStatus, versionUsesMemberKeys } from './portableRooms';

const log = logger('portable');

function usePortable(): boolean {
  const client = useClient();
  const [portable, setPortable] = useState(false);
  useEffect(() => {
    let live = true;
    portableStatus(client).then(
      (status) => live && setPortable(status.portable),
      () => undefined, // unknown: nothing is marked
    );
    return () => {
      live = false;
    };
  }, [client]);
  return portable;
}

/** An invite into a member-key room that names no pool key: accepting it keeps a key the server made. */
export function useInviteKeyFromServer(version: string | undefined, nonce: string | undefined): boolean {
  const portable = usePortable();
  return portable && versionUsesMemberKeys(version) && !nonce;
}

const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** This account's key facts in a joined member-key room, from the room state the client holds. */
export function keyFactsOf(room: Room, userId: string): KeyFacts | undefined {
  const own = room.currentState.getStateEvents('m.room.member', userId);
  if (own?.getContent().membership !== 'join') return undefined;
  const ownKey = str((own.getUnsigned() as Record<string, unknown>)[STABLE_ID_STATE_KEY_FIELD]);
  if (!ownKey) return undefined;
  const create = room.currentState.getStateEvents('m.room.create', '');
  const creatorNonce = str(create?.getContent()[CREATOR_NONCE_FIELD]);
  const creator = str((create?.getUnsigned() as Record<string, unknown> | undefined)?.[STABLE_ID_FIELD]);
  const keyNonce = str(own.getContent()[KEY_NONCE_FIELD]);
  const joinedFrom = str(own.getPrevContent().membership);
  return {
    roomId: room.roomId,
    ownKey,
    ...(creatorNonce ? { creatorNonce } : {}),
    ...(creator ? { creator } : {}),
    ...(keyNonce ? { keyNonce } : {}),
    ...(joinedFrom ? { joinedFrom } : {}),
  };
}

/** True when this account's key in the room was made by the server (checked with K when it is remembered here). */
export function useRoomKeyFromServer(room: Room | null | undefined): boolean {
  const client = useClient();
  const portable = usePortable();
  const [fromServer, setFromServer] = useState(false);
  const facts = room && portable && versionUsesMemberKeys(room.getVersion()) ? keyFactsOf(room, client.getSafeUserId()) : undefined;
  const factsKey = facts ? JSON.stringify(facts) : '';
  useEffect(() => {
    let live = true;
    if (!factsKey) {
      setFromServer(false);
      return;
    }
    const known = JSON.parse(factsKey) as KeyFacts;
    loadMemberRoot(client.getSafeUserId())
      .catch(log.ignored('member-key root unreadable; where the key came from is judged from room state alone'))
      .then((root) => live && setFromServer(memberKeyOrigin(known, root) === 'server'));
    return () => {
      live = false;
    };
  }, [client, factsKey]);
  return fromServer;
}

export function NotPortableNote({ reason }: { reason: string }) {
  return (
    <p className="mt-1 rounded bg-warning-surface px-1.5 py-0.5 text-xs text-warning-fg">
      <span className="font-semibold">{t('rooms.notPortable.label')}</span>
      {': '}
      {reason}
    </p>
  );
}
