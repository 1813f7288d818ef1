// Joining and creating rooms as a portable account: member keys derived from K (PROTOCOL.md §2, §5), so they
// can be made again from the recovery key alone. Password accounts keep the server-made keys.
import { ClientEvent, Method, type ICreateRoomOpts, type MatrixClient, type Room } from 'matrix-js-sdk';
import { KNOWN_ROOM_VERSIONS, WAYFARER_CLIENT_PREFIX } from '../../protocol';
import { createRoomSeedFields, joinSeedFields } from './memberSeeds';
import { inviteKeyNonceOf, inviteSeedFields, topUpInvitePool } from './invitePool';
import { logger } from '../../platform/logger';

const log = logger('portable');

export type PortableStatus = { portable: false } | { portable: true; accountKey: string };

const statusByClient = new WeakMap<MatrixClient, Promise<PortableStatus>>();

/** Whether this account is bound to an account key (asked once per client). Servers without the feature: not portable. */
export function portableStatus(client: MatrixClient): Promise<PortableStatus> {
  let status = statusByClient.get(client);
  if (!status) {
    status = client.http
      .authedRequest<{ account_key?: unknown }>(Method.Get, '/account/portable', undefined, undefined, { prefix: WAYFARER_CLIENT_PREFIX })
      .then(
        (body): PortableStatus =>
          typeof body.account_key === 'string' ? { portable: true, accountKey: body.account_key } : { portable: false },
        (error: { httpStatus?: number }) => {
          statusByClient.delete(client);
          if (error?.httpStatus === 404 || error?.httpStatus === 400) return { portable: false };
          throw error;
        },
      );
    statusByClient.set(client, status);
  }
  return status;
}

/** Whether a room version gives members their own keys (unknown versions: no). */
export function versionUsesMemberKeys(version: string | undefined): boolean {
  return !!version && Object.hasOwn(KNOWN_ROOM_VERSIONS, version) && KNOWN_ROOM_VERSIONS[version]!.usesMemberKeys;
}

/** Joins with the member seed for the room's ID (an alias is resolved first, since the key depends on the ID). */
export async function joinWithMemberRoot(
  client: MatrixClient,
  roomIdOrAlias: string,
  memberRoot: Uint8Array,
  viaServers: string[] = [],
): Promise<string> {
  const roomId = roomIdOrAlias.startsWith('#') ? (await client.getRoomIdForAlias(roomIdOrAlias)).room_id : roomIdOrAlias;
  const query = viaServers.length > 0 ? { server_name: viaServers, via: viaServers } : undefined;
  const reply = await client.http.authedRequest<{ room_id: string }>(
    Method.Post,
    `/join/${encodeURIComponent(roomId)}`,
    query,
    joinSeedFields(memberRoot, roomId),
  );
  return reply.room_id;
}

/**
 * The invite-key nonce of this account's pending invite (PROTOCOL.md §5): its invite member event carries it in
 * unsigned, and only the invitee's server puts it there.
 */
export function pendingInviteKeyNonce(room: Room, userId: string): string | undefined {
  const own = room.currentState.getStateEvents('m.room.member', userId);
  const events = [own, ...room.currentState.getStateEvents('m.room.member')].filter((e) => !!e);
  for (const event of events) {
    if (event.getContent().membership !== 'invite') continue;
    const nonce = inviteKeyNonceOf(event.getUnsigned() as Record<string, unknown>);
    if (nonce) return nonce;
  }
  return undefined;
}

/**
 * Accepts (or declines) an invite whose member key came from the invite-key pool: with the seed derived from K and
 * the nonce, the only way to sign as that key. K is at hand, so the pool is topped up too.
 */
export async function answerPoolInvite(client: MatrixClient, roomId: string, memberRoot: Uint8Array, nonce: string, accept: boolean) {
  const path = accept ? `/join/${encodeURIComponent(roomId)}` : `/rooms/${encodeURIComponent(roomId)}/leave`;
  await client.http.authedRequest(Method.Post, path, undefined, inviteSeedFields(memberRoot, nonce));
  const accessToken = client.getAccessToken();
  if (accessToken)
    void topUpInvitePool({ baseUrl: client.baseUrl, accessToken }, memberRoot).catch((error: unknown) =>
      log.warn('could not top up the invite-key pool', error),
    );
}

/** createRoom with a fresh creator nonce and the creator key derived from it. */
export async function createRoomWithMemberRoot(client: MatrixClient, options: ICreateRoomOpts, memberRoot: Uint8Array): Promise<string> {
  const body = { ...options, ...createRoomSeedFields(memberRoot) } as ICreateRoomOpts;
  return (await client.createRoom(body)).room_id;
}

export type MemberRootNeed = { kind: 'not-portable' } | { kind: 'root'; memberRoot: Uint8Array } | { kind: 'ask'; accountKey: string };

/** What a join or create needs: nothing (password account), the remembered K, or the recovery key from the user. */
export async function memberRootNeed(
  client: MatrixClient,
  loadRemembered: (userId: string) => Promise<Uint8Array | undefined>,
): Promise<MemberRootNeed> {
  const status = await portableStatus(client);
  if (!status.portable) return { kind: 'not-portable' };
  const memberRoot = await loadRemembered(client.getSafeUserId());
  return memberRoot ? { kind: 'root', memberRoot } : { kind: 'ask', accountKey: status.accountKey };
}

/** Knocks ("Ask to join") with the member key derived from K for this room: the key an accepted knock joins with. */
export async function knockWithMemberRoot(
  client: MatrixClient,
  roomId: string,
  memberRoot: Uint8Array,
  viaServers: string[] = [],
): Promise<void> {
  const query = viaServers.length > 0 ? { server_name: viaServers, via: viaServers } : undefined;
  await client.http.authedRequest(Method.Post, `/knock/${encodeURIComponent(roomId)}`, query, joinSeedFields(memberRoot, roomId));
}

/** Resolves once the client knows the room (a raw /join does not create it the way client.joinRoom does). */
export function waitForRoom(client: MatrixClient, roomId: string, timeoutMs = 30_000): Promise<void> {
  if (client.getRoom(roomId)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off(ClientEvent.Room, onRoom);
      resolve();
    };
    const onRoom = (room: { roomId: string }) => room.roomId === roomId && done();
    const timer = setTimeout(done, timeoutMs); // the room then shows up with the next sync anyway
    client.on(ClientEvent.Room, onRoom);
  });
}
