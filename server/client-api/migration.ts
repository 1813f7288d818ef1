// Account migration (PROTOCOL.md §5, §7). On the target server, `migrate/adopt` takes over a membership for the
// same member key (join → join, `domain` = this server, co-signed by its key). On the old server, `account/moved`
// marks a portable account as moved away: the server forgets the member keys' seeds and so can no longer sign as them.
import { KEY_NONCE_FIELD, keyPairFromSeed, memberIdFromPublicKey, signEvent, WAYFARER_CLIENT_PREFIX } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { isLocalUserId, localpartOf } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, forbidden, invalidParam, MatrixError, missingParam } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, optionalString, optionalStringArray, requiredString, type JsonObject } from '../http/validate';
import type { Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import { stateKeyOf } from '../storage/events';
import { requireAccountKeyAuth } from './portable-identity';

export const MIGRATION_PREFIX = `${WAYFARER_CLIENT_PREFIX}/migrate`;

export interface AdoptRequest {
  roomId: string;
  seed: Uint8Array;
  via: string[];
  /** Profile overrides; when absent, the member's current display name and avatar in the room are kept. */
  displayname?: string;
  avatarUrl?: string;
}

export interface AdoptResult {
  room_id: string;
  member_key: string;
  event_id: string;
  /** False when the membership was already adopted by this account (idempotent repeat). */
  changed: boolean;
}

export function parseAdoptRequest(hs: Homeserver, body: JsonObject): AdoptRequest {
  const roomId = requiredString(body, 'room_id');
  if (!roomId.startsWith('!')) throw invalidParam("'room_id' must be a room ID (starting with '!')");
  if (body.seed === undefined) throw missingParam("'seed' is required: the member key's seed, unpadded base64 of 32 bytes");
  const seed = hs.rooms.parseMemberSeed(body.seed);
  if (!seed) throw invalidParam("'seed' must be unpadded base64 of 32 bytes");
  const via = optionalStringArray(body, 'via') ?? [];
  const displayname = optionalString(body, 'displayname');
  const avatarUrl = optionalString(body, 'avatar_url');
  return { roomId, seed, via, ...(displayname !== undefined ? { displayname } : {}), ...(avatarUrl !== undefined ? { avatarUrl } : {}) };
}

/** The current member event of `memberKey` in a room this server knows, if any. */
function currentMemberEvent(hs: Homeserver, roomId: string, memberKey: string) {
  return hs.events.currentState(roomId).get(stateKeyOf('m.room.member', memberKey));
}

/** True when the key's current membership already is this account's, on this server: adopting again changes nothing. */
function alreadyAdopted(hs: Homeserver, roomId: string, memberKey: string, userId: string): string | undefined {
  const event = currentMemberEvent(hs, roomId, memberKey);
  if (!event) return undefined;
  const { content } = event.pdu;
  const ours = hs.memberKeys.forUser(roomId, userId)?.member_key === memberKey;
  return ours && content.membership === 'join' && content.domain === hs.config.serverName && content.localpart === localpartOf(userId)
    ? event.eventId
    : undefined;
}

/** Display name and avatar carried over from the member's previous event, unless the request overrides them. */
function carriedProfile(previous: Pdu | undefined, request: AdoptRequest): Record<string, string> {
  const displayname = request.displayname ?? (typeof previous?.content.displayname === 'string' ? previous.content.displayname : undefined);
  const avatarUrl = request.avatarUrl ?? (typeof previous?.content.avatar_url === 'string' ? previous.content.avatar_url : undefined);
  return { ...(displayname !== undefined ? { displayname } : {}), ...(avatarUrl !== undefined ? { avatar_url: avatarUrl } : {}) };
}

/** One adoption at a time per room and key, so a retried request cannot race its first attempt into two events. */
const inFlight = new Map<string, Promise<AdoptResult>>();

export async function adoptMembership(hs: Homeserver, userId: string, request: AdoptRequest): Promise<AdoptResult> {
  const memberKey = memberIdFromPublicKey(keyPairFromSeed(request.seed).publicKey);
  const lockKey = `${request.roomId}\n${memberKey}`;
  const running = inFlight.get(lockKey);
  if (running) await running.catch(() => undefined);
  const attempt = adoptOnce(hs, userId, request, memberKey);
  inFlight.set(lockKey, attempt);
  try {
    return await attempt;
  } finally {
    if (inFlight.get(lockKey) === attempt) inFlight.delete(lockKey);
  }
}

async function adoptOnce(hs: Homeserver, userId: string, request: AdoptRequest, memberKey: string): Promise<AdoptResult> {
  const { roomId } = request;
  const known = hs.events.room(roomId);
  if (known && !usesMemberKeys(known.room_version)) {
    throw invalidParam(
      `${roomId} is a classic room (version ${known.room_version}): its members are user IDs, so only the re-invite path can move it`,
    );
  }
  const done = known ? alreadyAdopted(hs, roomId, memberKey, userId) : undefined;
  if (done) return { room_id: roomId, member_key: memberKey, event_id: done, changed: false };

  if (!known || !hs.federation.isResident(roomId)) {
    const servers = request.via.filter((s) => s !== hs.config.serverName);
    if (servers.length === 0 && hs.federation.outliers.serverHints(roomId).length === 0) {
      throw new MatrixError(404, 'M_NOT_FOUND', `${hs.config.serverName} is not in ${roomId}; give 'via': servers that are`);
    }
    // Remote join for the same key: the resident server checks it as join → join. The profile is unknown until
    // we hold the room's state, so it is carried over by a second member event below when it differs.
    const profile = carriedProfile(undefined, request);
    const eventId = await hs.federation.joinRemote(roomId, userId, servers, { seed: request.seed, content: profile });
    const joined = hs.events.event(eventId);
    // The resident server's template names the key's previous member event among the join's auth events.
    const previous = (joined?.pdu.auth_events ?? [])
      .map((id) => hs.events.event(id))
      .filter((event) => event?.roomId === roomId)
      .map((event) => event?.pdu)
      .find((pdu) => pdu?.type === 'm.room.member' && pdu.state_key === memberKey);
    const wanted: Record<string, string> = carriedProfile(previous, request);
    // The invite-key nonce (PROTOCOL.md §5) stays in the key's member event, so K and room state still re-derive it.
    const keyNonce = previous?.content[KEY_NONCE_FIELD];
    if (typeof keyNonce === 'string') wanted[KEY_NONCE_FIELD] = keyNonce;
    const now = joined?.pdu.content ?? {};
    if (
      wanted.displayname !== now.displayname ||
      wanted.avatar_url !== now.avatar_url ||
      wanted[KEY_NONCE_FIELD] !== now[KEY_NONCE_FIELD]
    ) {
      const fixed = hs.rooms.send(roomId, userId, {
        type: 'm.room.member',
        stateKey: memberKey,
        content: { membership: 'join', ...wanted },
      });
      return { room_id: roomId, member_key: memberKey, event_id: fixed.eventId, changed: true };
    }
    return { room_id: roomId, member_key: memberKey, event_id: eventId, changed: true };
  }

  const previous = currentMemberEvent(hs, roomId, memberKey);
  if (previous?.pdu.content.membership !== 'join') {
    throw forbidden(`member key ${memberKey} is not joined to ${roomId}: adopting takes over a joined membership (join → join)`);
  }
  // Binds the key to this account here (refuses a key that is another local account's, or a second key for this one).
  hs.rooms.memberIdFor(roomId, known.room_version, userId, request.seed);
  const sent = hs.rooms.send(roomId, userId, {
    type: 'm.room.member',
    stateKey: memberKey,
    content: { membership: 'join', ...carriedProfile(previous.pdu, request) },
  });
  return { room_id: roomId, member_key: memberKey, event_id: sent.eventId, changed: true };
}

/**
 * Marks a portable account as moved to `movedTo`, forgets the seeds of its member keys, and disowns the links
 * this server co-signed for them. A link verifies against the domain's *current* keys (PROTOCOL.md §4), so the
 * only way to withdraw one co-signature is a new server key: the server rotates it and re-signs every other
 * member event that claims it, leaving the moved account's claims under the retired key. Other servers see
 * those links turn unverified at their next re-check; everyone else stays verified.
 */
export function markMoved(
  hs: Homeserver,
  userId: string,
  movedTo: string,
): { forgotten_keys: number; disowned_links: number; resigned_links: number } {
  const forgotten = hs.db.transaction(() => {
    hs.accountKeys.setMovedTo(userId, movedTo);
    hs.inviteKeys.dropUnused(userId);
    return hs.memberKeys.forgetSeedsOf(userId);
  })();
  const movedKeys = new Set(
    (hs.db.prepare('SELECT member_key FROM member_keys WHERE user_id = ?').all(userId) as { member_key: string }[]).map(
      (r) => r.member_key,
    ),
  );
  const claims = ourMemberClaims(hs);
  const disowned = claims.filter((c) => movedKeys.has(c.memberKey));
  if (disowned.length === 0) return { forgotten_keys: forgotten, disowned_links: 0, resigned_links: 0 };
  hs.federation.ownKeys.rotate();
  let resigned = 0;
  for (const claim of claims) {
    if (movedKeys.has(claim.memberKey)) {
      hs.links.forgetEvent(claim.eventId);
      continue;
    }
    // MSC4430 re-signing after a rotation: the same event, co-signed by the new key.
    const { [hs.config.serverName]: _retired, ...others } = claim.pdu.signatures ?? {};
    const pdu = signEvent(
      { ...claim.pdu, signatures: others },
      claim.version,
      hs.config.serverName,
      hs.signingKey.keyId,
      hs.signingKey.seed,
    ) as Pdu;
    hs.federation.store.updatePdu(claim.eventId, pdu);
    hs.links.forgetEvent(claim.eventId);
    resigned += 1;
  }
  return { forgotten_keys: forgotten, disowned_links: disowned.length, resigned_links: resigned };
}

/** Current member events, in every member-key room, whose claimed domain is this server. */
function ourMemberClaims(hs: Homeserver): { eventId: string; memberKey: string; pdu: Pdu; version: string }[] {
  const out: { eventId: string; memberKey: string; pdu: Pdu; version: string }[] = [];
  for (const { room_id: roomId, room_version: version } of hs.federation.store.allRooms()) {
    if (!usesMemberKeys(version)) continue;
    for (const event of hs.events.currentState(roomId).values()) {
      if (event.pdu.type === 'm.room.member' && event.pdu.content.domain === hs.config.serverName && event.pdu.state_key) {
        out.push({ eventId: event.eventId, memberKey: event.pdu.state_key, pdu: event.pdu, version });
      }
    }
  }
  return out;
}

export function parseMovedTo(hs: Homeserver, body: JsonObject): string {
  const movedTo = requiredString(body, 'moved_to');
  if (!/^@[^:\s]+:[^\s]+$/.test(movedTo)) throw badJson("'moved_to' must be a user ID like @alice:example.org");
  if (isLocalUserId(hs, movedTo)) throw invalidParam(`'moved_to' must be an account on another server than ${hs.config.serverName}`);
  return movedTo;
}

export function registerMigration(router: Router, hs: Homeserver): void {
  router.post(`${MIGRATION_PREFIX}/adopt`, async (ctx) => {
    const session = requireSession(hs, ctx);
    const request = parseAdoptRequest(hs, asObject(await ctx.json()));
    if (hs.accountKeys.forUser(session.userId)?.moved_to) throw forbidden(`${session.userId} has moved away; it cannot adopt memberships`);
    return adoptMembership(hs, session.userId, request);
  });

  /** Marks this (portable) account moved. Confirmed with an account-key proof: it cannot be undone by a stolen token alone. */
  router.post(`${WAYFARER_CLIENT_PREFIX}/account/moved`, async (ctx) => {
    // Marking again with the same target answers as the first time did (a retry whose first answer was lost).
    const session = requireSession(hs, ctx, { allowMoved: true });
    const body = asObject(await ctx.json());
    const portable = hs.accountKeys.forUser(session.userId);
    if (!portable) throw invalidParam('Only portable accounts can be marked moved: a password account has no identity to take along');
    const movedTo = parseMovedTo(hs, body);
    if (portable.moved_to === movedTo) return { moved_to: movedTo, forgotten_keys: 0, disowned_links: 0, resigned_links: 0 };
    await requireAccountKeyAuth(hs, session.userId, portable.account_key, body.auth, 'account-moved');
    const result = markMoved(hs, session.userId, movedTo);
    // Its sessions' long-polls wake now and answer the moved 403, instead of when they run out.
    hs.notifier.notifyUsers([session.userId]);
    // Our own view of our members' links must use the new key at once (the per-domain key cache predates it).
    if (result.disowned_links > 0) await hs.links.recheck();
    return { moved_to: movedTo, ...result };
  });
}
