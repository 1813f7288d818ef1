// Server-Server API endpoints (spec v1.19) and MSC4430's member-key lookup. Every /_matrix/federation request
// is authenticated with X-Matrix; key endpoints are public (and answer CORS, so browsers can check links).
import {
  computeEventId,
  type LinkInfo,
  MEMBER_KEY_FEDERATION_PREFIX,
  MEMBER_KEYS_ROOM_VERSION,
  parseXMatrixHeader,
  ProtocolError,
  redactEvent,
  signEvent,
  signJson,
  verifyXMatrixRequest,
} from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { isLocalUserId } from '../homeserver';
import { badJson, forbidden, MatrixError, missingParam, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { AuthError, authKey, checkAuth } from '../rooms/authorization';
import { INVITER_LINK_FIELD } from '../rooms/client-format';
import type { Pdu } from '../rooms/pdu';
import type { StoredEvent } from '../storage/events';
import { isSupportedRoomVersion, usesMemberKeys } from '../rooms/room-versions';
import { selectAuthEvents, toAuthState } from '../rooms/room-service';
import { stateKeyOf } from '../storage/events';
import { belongsToRoom, memberDomain, PduError, serverOfUserId } from './federation';
import { stripUnsigned } from './outbound';
import { isServerName } from './client';
import { erasureJudge as judgeErasure, serverHistoryView, type HistoryView } from '../client-api/room-access';
import { LOWEST_POSITION } from '../client-api/history-visibility';
import { registerFederationMedia } from '../client-api/media';
import { directoryQueryBody, directoryQueryParams, localPublicRooms } from '../client-api/directory';
import { asObject } from '../http/validate';
import { registerFederationE2ee } from './e2ee-api';

const FED = '/_matrix/federation';
type Json = Record<string, unknown>;

export function registerFederation(router: Router, hs: Homeserver): void {
  const fed = hs.federation;
  const unavailable = () => new MatrixError(503, 'M_UNAVAILABLE', 'federation is switched off on this server');

  /** Checks X-Matrix; returns the origin server. Any request from a server also tells us it is up again. */
  const authenticate = async (ctx: RequestContext): Promise<string> => {
    if (!fed.client.enabled) throw unavailable();
    const header = ctx.headers.authorization;
    if (typeof header !== 'string') throw new MatrixError(401, 'M_UNAUTHORIZED', 'Missing X-Matrix Authorization header');
    let auth;
    try {
      auth = parseXMatrixHeader(header);
    } catch (error) {
      if (error instanceof ProtocolError) throw new MatrixError(401, 'M_UNAUTHORIZED', error.message);
      throw error;
    }
    if (auth.destination !== undefined && auth.destination !== hs.config.serverName)
      throw new MatrixError(401, 'M_UNAUTHORIZED', `this server is ${hs.config.serverName}, not ${auth.destination}`);
    if (auth.origin === hs.config.serverName) throw new MatrixError(401, 'M_UNAUTHORIZED', 'a request from ourselves');
    if (!isServerName(auth.origin))
      throw new MatrixError(401, 'M_UNAUTHORIZED', `origin ${JSON.stringify(auth.origin)} is not a server name`);
    // Only a current key authenticates a request: a key the origin lists under old_verify_keys never does.
    const key = await fed.keyRing.requestKey(auth.origin, auth.key);
    if (!key)
      throw new MatrixError(
        401,
        'M_UNAUTHORIZED',
        `${auth.key} is not a current key of ${auth.origin} (unknown, unobtainable, or retired)`,
      );
    const hasBody = ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'DELETE';
    const content = hasBody ? await ctx.json() : undefined;
    const search = ctx.query.toString();
    const uri = ctx.path + (search ? `?${search}` : '');
    const valid = await verifyXMatrixRequest(
      auth,
      { method: ctx.method, uri, destination: hs.config.serverName, ...(content !== undefined ? { content } : {}) },
      key,
    );
    if (!valid) throw new MatrixError(401, 'M_UNAUTHORIZED', 'invalid X-Matrix signature');
    fed.outbound.kick(auth.origin, true);
    return auth.origin;
  };
  registerFederationMedia(router, hs, authenticate);
  registerFederationE2ee(router, hs, authenticate);

  /** Server ACLs: a room's m.room.server_acl shuts a denied server out of every room-scoped endpoint (403). */
  const requireAllowedByAcl = (roomId: string, origin: string): void => {
    if (hs.events.room(roomId) && !fed.serverAllowed(roomId, origin)) throw forbidden(`${origin} is denied by the server ACL of ${roomId}`);
  };

  /** The origin must share the room (a joined member on its domain), or it learns nothing. */
  const requireInRoom = (roomId: string, origin: string): string => {
    const room = hs.events.room(roomId);
    if (!room) throw notFound(`Unknown room ${roomId}`);
    if (fed.federationForbidden(roomId)) throw forbidden('this room does not federate (m.federate is false)');
    const inRoom = [...hs.events.currentState(roomId).values()].some(
      (e) =>
        e.pdu.type === 'm.room.member' &&
        ['join', 'invite', 'leave'].includes(String(e.pdu.content.membership)) &&
        memberDomain(room.room_version, e.pdu) === origin,
    );
    if (!inRoom) throw forbidden(`${origin} is not in ${roomId}`);
    return room.room_version;
  };

  /** What `origin` may see of the room: an event is visible if one of its members could see it (history visibility). */
  const serverView = (roomId: string, version: string, origin: string, asOf?: number) =>
    serverHistoryView(hs, roomId, (member) => memberDomain(version, member), origin, asOf);
  /**
   * Erasure (Client-Server API, POST /account/deactivate `erase`): is this event of an erased account withheld from
   * `origin`, none of whose members could see it before the erasure? One judge per response (views memoised).
   */
  const erasureJudge = (origin: string, version: string) =>
    judgeErasure(
      (userId) => hs.accounts.erasedAt(userId),
      (roomId, position) => serverView(roomId, version, origin, position),
    );
  /** PDUs of the room by ID, unsigned stripped, an erased account's redacted where `withheld` says. */
  const roomPdus = (roomId: string, ids: string[], version: string, withheld: (stored: StoredEvent | undefined) => boolean) =>
    ids
      .map((id) => {
        const pdu = fed.findInRoom(id, roomId);
        if (!pdu) return undefined;
        return stripUnsigned(withheld(hs.events.event(id)) ? (redactEvent(pdu, version) as unknown as Pdu) : pdu);
      })
      .filter((p): p is Pdu => !!p);
  /**
   * The PDU as the requesting server may have it: whole if visible to it, else redacted, as real servers do, so the
   * DAG stays walkable and auth events stay checkable while the content stays hidden. An event held only for auth
   * (no timeline position) is judged as the oldest history.
   */
  const asSeenBy = (
    view: HistoryView,
    eventId: string,
    pdu: Pdu,
    version: string,
    withheld: (stored: StoredEvent | undefined) => boolean,
  ): Pdu => {
    const stored = hs.events.event(eventId);
    const visible = stored ? view.canSee(stored) : view.canSeeAt(LOWEST_POSITION);
    return visible && !withheld(stored) ? pdu : (redactEvent(pdu, version) as unknown as Pdu);
  };

  // ---- keys --------------------------------------------------------------------------------------------

  const serverKeys = async (ctx: RequestContext) => {
    if (!fed.client.enabled) throw unavailable();
    if (fed.keyEndpointMode === '404') throw notFound('No keys here');
    if (fed.keyEndpointMode === 'hang') {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      return {};
    }
    return fed.ownKeys.response();
  };
  router.get('/_matrix/key/v2/server', serverKeys);
  router.get('/_matrix/key/v2/server/{keyId}', serverKeys);

  /**
   * Notary: other servers' keys as we fetch them (or fetched them moments ago), countersigned by us. Only server
   * names are looked up (400 M_INVALID_PARAM otherwise), and the client's address policy applies to each fetch.
   */
  const notary = async (servers: string[]) => {
    const invalid = servers.find((server) => !isServerName(server));
    if (invalid !== undefined) throw new MatrixError(400, 'M_INVALID_PARAM', `${JSON.stringify(invalid)} is not a server name`);
    const responses: unknown[] = [];
    for (const server of servers.slice(0, 20)) {
      const outcome = await fed.keyRing.recentKeys(server);
      if (outcome.kind !== 'ok') continue;
      responses.push(signJson(outcome.response as Json, hs.config.serverName, hs.signingKey.keyId, hs.signingKey.seed));
    }
    return { server_keys: responses };
  };
  router.post('/_matrix/key/v2/query', async (ctx) => {
    if (!fed.client.enabled) throw unavailable();
    const body = (await ctx.json()) as { server_keys?: unknown };
    if (typeof body.server_keys !== 'object' || body.server_keys === null || Array.isArray(body.server_keys))
      throw badJson('server_keys must be an object');
    return notary(Object.keys(body.server_keys));
  });
  router.get('/_matrix/key/v2/query/{serverName}', async (ctx) => {
    if (!fed.client.enabled) throw unavailable();
    return notary([ctx.params.serverName!]);
  });

  router.get(`${FED}/v1/version`, () => ({ server: { name: 'wayfarer-reference', version: '0.1.0' } }));

  // ---- transactions ---------------------------------------------------------------------------------------

  router.put(`${FED}/v1/send/{txnId}`, async (ctx) => {
    const origin = await authenticate(ctx);
    const txnId = ctx.params.txnId!;
    // A retried transaction (the sender never saw our answer) is answered again without reprocessing.
    if (fed.store.seenTransaction(origin, txnId)) return { pdus: {} };
    const body = (await ctx.json()) as { pdus?: unknown; edus?: unknown };
    if (!Array.isArray(body.pdus ?? [])) throw badJson('pdus must be an array');
    const pdus = (body.pdus ?? []) as unknown[];
    const edus = Array.isArray(body.edus) ? body.edus : [];
    if (pdus.length > 50 || edus.length > 100) throw badJson('at most 50 PDUs and 100 EDUs per transaction');
    const results: Record<string, Json> = {};
    for (const raw of pdus) {
      const roomId = (raw as Json)?.room_id;
      const room = typeof roomId === 'string' ? hs.events.room(roomId) : undefined;
      // Per PDU, as the spec says: a denied origin's PDU is ignored with an error; the rest of the transaction goes on.
      if (room && !fed.serverAllowed(room.room_id, origin)) {
        const id = safeEventId(raw, room.room_version);
        if (id) results[id] = { error: `${origin} is denied by the server ACL of ${room.room_id}` };
        continue;
      }
      try {
        const withdrawn = room && !fed.isResident(room.room_id) ? await withdrawnInvite(hs, origin, raw, room.room_version) : undefined;
        if (withdrawn) {
          results[withdrawn] = {};
          continue;
        }
        const eventId = await fed.receivePdu(origin, raw);
        results[eventId] = {};
      } catch (error) {
        if (!(error instanceof PduError) && !(error instanceof MatrixError)) console.error('PDU from', origin, 'failed:', error);
        const id =
          typeof roomId === 'string' && hs.events.room(roomId) ? safeEventId(raw, hs.events.room(roomId)!.room_version) : undefined;
        if (id) results[id] = { error: (error as Error).message };
      }
    }
    for (const edu of edus) fed.receiveEdu(origin, edu);
    fed.store.recordTransaction(origin, txnId);
    return { pdus: results };
  });

  // ---- events, state, history -------------------------------------------------------------------------------

  router.get(`${FED}/v1/event/{eventId}`, async (ctx) => {
    const origin = await authenticate(ctx);
    const eventId = ctx.params.eventId!;
    const found = fed.findPdu(eventId);
    if (!found) throw notFound('Unknown event');
    requireAllowedByAcl(found.roomId, origin);
    const version = requireInRoom(found.roomId, origin);
    const seen = asSeenBy(serverView(found.roomId, version, origin), eventId, found.pdu, version, erasureJudge(origin, version));
    return { origin: hs.config.serverName, origin_server_ts: Date.now(), pdus: [stripUnsigned(seen)] };
  });

  const stateAt = (roomId: string, eventId: string | null, version: string) => {
    if (!eventId) return fed.currentStateIds(roomId);
    const found = fed.findPdu(eventId);
    if (!found || found.roomId !== roomId) throw notFound('Unknown event in this room');
    return fed.stateBefore(roomId, found.pdu, fed.createEventId(roomId, version), version);
  };
  /** The state event IDs before the request's `event_id`, for a requester in the room (/state and /state_ids). */
  const requestedState = async (ctx: RequestContext): Promise<{ ids: string[]; origin: string; version: string }> => {
    const origin = await authenticate(ctx);
    const roomId = ctx.params.roomId!;
    requireAllowedByAcl(roomId, origin);
    const version = requireInRoom(roomId, origin);
    const eventId = ctx.query.get('event_id');
    if (!eventId) throw missingParam('event_id is required');
    return { ids: [...stateAt(roomId, eventId, version).values()], origin, version };
  };
  router.get(`${FED}/v1/state_ids/{roomId}`, async (ctx) => {
    const { ids } = await requestedState(ctx);
    return { pdu_ids: ids, auth_chain_ids: fed.authChain(ctx.params.roomId!, ids) };
  });
  router.get(`${FED}/v1/state/{roomId}`, async (ctx) => {
    const { ids, origin, version } = await requestedState(ctx);
    const roomId = ctx.params.roomId!;
    const withheld = erasureJudge(origin, version);
    return { pdus: roomPdus(roomId, ids, version, withheld), auth_chain: roomPdus(roomId, fed.authChain(roomId, ids), version, withheld) };
  });

  router.post(`${FED}/v1/get_missing_events/{roomId}`, async (ctx) => {
    const origin = await authenticate(ctx);
    const roomId = ctx.params.roomId!;
    requireAllowedByAcl(roomId, origin);
    const version = requireInRoom(roomId, origin);
    const body = (await ctx.json()) as Json;
    const earliest = stringList(body.earliest_events);
    const latest = stringList(body.latest_events);
    const limit = Math.min(Number.isSafeInteger(body.limit) ? (body.limit as number) : 10, 100);
    const minDepth = Number.isSafeInteger(body.min_depth) ? (body.min_depth as number) : 0;
    const starts = latest.flatMap((id) => fed.findInRoom(id, roomId)?.prev_events ?? []);
    const found = fed.walkBackWithIds(roomId, starts, limit, new Set(earliest), minDepth).filter(([, e]) => e.room_id === roomId);
    // Walking back is another way to history: an erased account's events come redacted here too, as in /backfill.
    const withheld = erasureJudge(origin, version);
    const events = found.map(([id, pdu]) => (withheld(hs.events.event(id)) ? (redactEvent(pdu, version) as unknown as Pdu) : pdu));
    return { events: events.sort((a, b) => a.depth - b.depth).map(stripUnsigned) };
  });

  router.get(`${FED}/v1/backfill/{roomId}`, async (ctx) => {
    const origin = await authenticate(ctx);
    const roomId = ctx.params.roomId!;
    requireAllowedByAcl(roomId, origin);
    const version = requireInRoom(roomId, origin);
    const from = ctx.query.getAll('v');
    if (from.length === 0) throw missingParam('v is required');
    const limitText = ctx.query.get('limit');
    const limit = Math.min(limitText && /^\d{1,5}$/.test(limitText) ? Number(limitText) : 10, 500);
    const view = serverView(roomId, version, origin);
    const withheld = erasureJudge(origin, version);
    const pdus = fed.walkBackWithIds(roomId, from, limit).filter(([, e]) => belongsToRoom(e, roomId, version));
    return {
      origin: hs.config.serverName,
      origin_server_ts: Date.now(),
      pdus: pdus.map(([id, pdu]) => stripUnsigned(asSeenBy(view, id, pdu, version, withheld))),
    };
  });

  // ---- queries ---------------------------------------------------------------------------------------------

  router.get(`${FED}/v1/query/profile`, async (ctx) => {
    await authenticate(ctx);
    const userId = ctx.query.get('user_id');
    if (!userId) throw missingParam('user_id is required');
    const user = isLocalUserId(hs, userId) ? hs.accounts.getUser(userId) : undefined;
    if (!user) throw notFound('Unknown user');
    const field = ctx.query.get('field');
    const profile: Json = {};
    if (user.displayname && (!field || field === 'displayname')) profile.displayname = user.displayname;
    if (user.avatar_url && (!field || field === 'avatar_url')) profile.avatar_url = user.avatar_url;
    return profile;
  });

  router.get(`${FED}/v1/query/directory`, async (ctx) => {
    await authenticate(ctx);
    const alias = ctx.query.get('room_alias');
    if (!alias) throw missingParam('room_alias is required');
    const entry = hs.directory.lookup(alias);
    if (!entry) throw notFound(`No room with alias ${alias}`);
    return { room_id: entry.room_id, servers: [hs.config.serverName, ...fed.serversInRoom(entry.room_id)] };
  });

  // The published room directory, for another server's users (only this server's own listings).
  router.get(`${FED}/v1/publicRooms`, async (ctx) => {
    await authenticate(ctx);
    return localPublicRooms(hs, directoryQueryParams(ctx));
  });
  router.post(`${FED}/v1/publicRooms`, async (ctx) => {
    await authenticate(ctx);
    return localPublicRooms(hs, directoryQueryBody(asObject(await ctx.json())));
  });

  router.get(`${MEMBER_KEY_FEDERATION_PREFIX}/member_key/{roomId}/{userId}`, async (ctx) => {
    const origin = await authenticate(ctx);
    const { roomId, userId } = ctx.params as { roomId: string; userId: string };
    requireAllowedByAcl(roomId, origin);
    if (!isLocalUserId(hs, userId) || !hs.accounts.getUser(userId)) throw notFound('Unknown user');
    // A portable account's key comes from its invite-key pool (once only, recorded for this room): PROTOCOL.md §5.
    return { member_key: hs.rooms.memberIdForInvite(roomId, MEMBER_KEYS_ROOM_VERSION, userId, origin) };
  });

  // ---- membership handshakes ----------------------------------------------------------------------------------

  const makeMembership = (membership: 'join' | 'leave' | 'knock') => async (ctx: RequestContext) => {
    const origin = await authenticate(ctx);
    const { roomId, userId: memberId } = ctx.params as { roomId: string; userId: string };
    requireAllowedByAcl(roomId, origin);
    const room = hs.events.room(roomId);
    if (!room || !fed.isResident(roomId)) throw notFound(`This server is not in ${roomId}`);
    if (fed.federationForbidden(roomId)) throw forbidden('this room does not federate (m.federate is false)');
    const version = room.room_version;
    if (membership === 'join' || membership === 'knock') {
      const accepted = ctx.query.getAll('ver');
      if (!accepted.includes(version) && !(accepted.length === 0 && version === '1')) {
        throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `the room is version ${version}`, { room_version: version });
      }
    }
    if (!usesMemberKeys(version) && serverOfUserId(memberId) !== origin) throw forbidden(`${origin} cannot act for ${memberId}`);
    const state = hs.events.currentState(roomId);
    const { prevEvents: prevIds, depth } = hs.rooms.prevEventsFor(roomId);
    const draft = { type: 'm.room.member', stateKey: memberId, content: { membership } };
    const template: Pdu = {
      type: 'm.room.member',
      room_id: roomId,
      sender: memberId,
      state_key: memberId,
      content: { membership },
      origin_server_ts: Date.now(),
      depth,
      prev_events: prevIds,
      auth_events: selectAuthEvents(draft, memberId, state, version),
    };
    try {
      checkAuth(template, new Map([...state].map(([k, e]) => [k, e.pdu])), version, false);
    } catch (error) {
      if (error instanceof AuthError) throw forbidden(`cannot ${membership}: ${error.message}`);
      throw error;
    }
    // `origin` is the spec's (legacy) template field naming the resident server; joiners build their own event.
    return { room_version: version, event: { ...template, origin: hs.config.serverName } };
  };
  router.get(`${FED}/v1/make_join/{roomId}/{userId}`, makeMembership('join'));
  router.get(`${FED}/v1/make_leave/{roomId}/{userId}`, makeMembership('leave'));
  router.get(`${FED}/v1/make_knock/{roomId}/{userId}`, makeMembership('knock'));

  const sendMembership = (membership: 'join' | 'leave' | 'knock') => async (ctx: RequestContext) => {
    const origin = await authenticate(ctx);
    const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
    requireAllowedByAcl(roomId, origin);
    const room = hs.events.room(roomId);
    if (!room || !fed.isResident(roomId)) throw notFound(`This server is not in ${roomId}`);
    const version = room.room_version;
    const pdu = (await ctx.json()) as Pdu;
    if (pdu?.type !== 'm.room.member' || pdu.content?.membership !== membership || pdu.sender !== pdu.state_key || pdu.room_id !== roomId) {
      throw badJson(`expected a ${membership} member event for this room`);
    }
    let computed: string;
    try {
      computed = computeEventId(pdu, version);
    } catch {
      throw badJson('cannot compute the event ID');
    }
    if (computed !== eventId) throw badJson('the event ID does not match the event');
    if (!usesMemberKeys(version) && serverOfUserId(pdu.sender) !== origin) throw forbidden(`${origin} cannot act for ${pdu.sender}`);
    // Member-key rooms: a knock is its member key's, claimed for a user of `content.domain`: only that server knocks.
    if (membership === 'knock' && usesMemberKeys(version) && pdu.content.domain !== origin)
      throw forbidden(`${origin} cannot knock for a user of ${String(pdu.content.domain)}`);
    const stateBefore = fed.stateBefore(roomId, pdu, fed.createEventId(roomId, version), version);
    try {
      await fed.receivePdu(origin, pdu);
    } catch (error) {
      if (error instanceof PduError) throw badJson(error.message);
      throw error;
    }
    if (!hs.events.event(eventId)) throw forbidden(`the ${membership} was not accepted`);
    // The resident server tells the rest of the room.
    const others = fed.serversInRoom(roomId).filter((s) => s !== origin);
    fed.outbound.enqueuePdu(others, eventId);
    others.forEach((s) => fed.outbound.kick(s));
    if (membership === 'leave') return {};
    // The knocker sees the room it asked to join by its stripped state (the spec's knock_room_state).
    if (membership === 'knock') return { knock_room_state: fed.strippedState(roomId).map(stripUnsigned) };
    const stateIds = [...stateBefore.values()];
    // The joining server could see nothing before: an erased account's events come to it redacted.
    const withheld = erasureJudge(origin, version);
    return {
      origin: hs.config.serverName,
      state: roomPdus(roomId, stateIds, version, withheld),
      auth_chain: roomPdus(roomId, fed.authChain(roomId, [...stateIds, eventId]), version, withheld),
      event: stripUnsigned(hs.events.event(eventId)!.pdu),
      members_omitted: false,
    };
  };
  router.put(`${FED}/v2/send_join/{roomId}/{eventId}`, sendMembership('join'));
  router.put(`${FED}/v2/send_leave/{roomId}/{eventId}`, sendMembership('leave'));
  router.put(`${FED}/v1/send_knock/{roomId}/{eventId}`, sendMembership('knock'));

  router.put(`${FED}/v2/invite/{roomId}/{eventId}`, async (ctx) => {
    const origin = await authenticate(ctx);
    const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
    requireAllowedByAcl(roomId, origin);
    const body = (await ctx.json()) as { room_version?: unknown; event?: Pdu; invite_room_state?: unknown };
    const version = body.room_version;
    const event = body.event;
    if (typeof version !== 'string' || !isSupportedRoomVersion(version)) {
      throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room version ${String(version)} is not supported`, {
        room_version: version,
      });
    }
    if (
      event?.type !== 'm.room.member' ||
      event.content?.membership !== 'invite' ||
      event.room_id !== roomId ||
      typeof event.state_key !== 'string'
    ) {
      throw badJson('expected an invite member event for this room');
    }
    let checked;
    try {
      checked = await fed.checkPdu(event, version);
    } catch (error) {
      if (error instanceof PduError) throw forbidden(error.message);
      throw error;
    }
    if (checked.eventId !== eventId) throw badJson('the event ID does not match the event');
    const userId = usesMemberKeys(version) ? hs.memberKeys.forKey(roomId, event.state_key)?.user_id : event.state_key;
    if (!userId || !isLocalUserId(hs, userId) || !hs.accounts.getUser(userId)) throw notFound('The invitee is not a user of this server');
    if (usesMemberKeys(version) && event.content.domain !== hs.config.serverName)
      throw forbidden('the invite claims another domain for our user');
    const known = hs.events.room(roomId);
    if (known && known.room_version !== version) {
      throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `${roomId} is room version ${known.room_version} here, not ${version}`, {
        room_version: known.room_version,
      });
    }
    // Classic rooms: the sender's user ID names its server, and only that server may send its invites.
    if (!usesMemberKeys(version) && serverOfUserId(event.sender) !== origin)
      throw forbidden(`the invite's sender ${event.sender} is not a user of ${origin}`);
    const signed = signEvent(event, version, hs.config.serverName, hs.signingKey.keyId, hs.signingKey.seed) as Pdu;
    if (fed.isResident(roomId)) {
      // We are in the room: its state is ours to check the invite against, and the invite is an ordinary PDU of it.
      checkInviteInRoom(hs, origin, roomId, version, event);
      try {
        await fed.receivePdu(origin, signed);
      } catch (error) {
        if (error instanceof PduError) throw forbidden(`the invite was refused: ${error.message}`);
        throw error;
      }
      if (!hs.events.event(eventId)) throw forbidden('the invite was not accepted: it fails the auth rules against the room state');
      fed.outliers.addServerHint(roomId, origin);
      return { event: signed };
    }
    const inviteState = Array.isArray(body.invite_room_state)
      ? (body.invite_room_state as unknown[]).filter((e): e is Pdu => typeof e === 'object' && e !== null).slice(0, 50)
      : [];
    // Member-key rooms: who invited is a key; its link, checked now from the inviter's member event in the stripped
    // state (a full PDU, co-signed by the inviter's server), lets the invitee's client name the inviter.
    const inviterLink = usesMemberKeys(version) ? await inviterLinkOf(hs, event, inviteState, version) : undefined;
    hs.events.transaction(() => {
      if (!hs.events.room(roomId)) hs.events.createRoom(roomId, version, event.sender, false);
      fed.outliers.addServerHint(roomId, origin);
      if (hs.events.event(eventId)) return;
      const streamOrdering = hs.stream.next();
      const stored: Pdu = {
        ...signed,
        unsigned: { invite_room_state: inviteState, ...(inviterLink ? { [INVITER_LINK_FIELD]: inviterLink } : {}) },
      };
      // Held out of the timeline (an outlier): the room's history is not here yet. A join puts it in its place
      // among the history it fetches (MembershipHandshakes.completeJoin), not before the room's creation.
      hs.events.insertEvent({
        streamOrdering,
        eventId,
        roomId,
        pdu: stored,
        replacesState: null,
        senderUserId: null,
        txnDeviceId: null,
        txnId: null,
        outlier: true,
      });
      hs.events.setMembership(roomId, userId, 'invite', eventId, streamOrdering);
    });
    hs.notifier.notify();
    return { event: signed };
  });
}

/**
 * A kick or ban of one of our users whose invite to a room we are not in is still open (an invite withdrawn): we hold
 * no state to check it against, so it must be about that very invite (its auth events name it), come from a server
 * that invited us into the room, and carry valid signatures. It is stored and ends the invite (the spec's out-of-band
 * membership, as for a rejection the other way); anything else falls through to the usual checks. Returns its ID.
 */
async function withdrawnInvite(hs: Homeserver, origin: string, raw: unknown, version: string): Promise<string | undefined> {
  const pdu = raw as Pdu;
  if (pdu?.type !== 'm.room.member' || typeof pdu.state_key !== 'string' || !Array.isArray(pdu.auth_events)) return undefined;
  const membership = pdu.content?.membership;
  if (membership !== 'leave' && membership !== 'ban') return undefined;
  const roomId = pdu.room_id as string;
  const userId = usesMemberKeys(version) ? hs.memberKeys.forKey(roomId, pdu.state_key)?.user_id : pdu.state_key;
  if (!userId || !isLocalUserId(hs, userId)) return undefined;
  const current = hs.events.membership(roomId, userId);
  // A knock denied is the same story: the kick names the knock, and comes from a server we knocked through or that invited us.
  if ((current?.membership !== 'invite' && current?.membership !== 'knock') || !pdu.auth_events.includes(current.event_id))
    return undefined;
  if (!hs.federation.outliers.serverHints(roomId).includes(origin)) throw new PduError(`${origin} did not invite us to ${roomId}`);
  const { pdu: checked, eventId } = await hs.federation.checkPdu(pdu, version);
  hs.events.transaction(() => {
    if (hs.events.event(eventId)) return;
    const streamOrdering = hs.stream.next();
    hs.events.insertEvent({
      streamOrdering,
      eventId,
      roomId,
      pdu: checked,
      replacesState: null,
      senderUserId: null,
      txnDeviceId: null,
      txnId: null,
    });
    hs.events.setMembership(roomId, userId, membership, eventId, streamOrdering);
  });
  hs.notifier.notify();
  return eventId;
}

/**
 * The link of an invite's sender, from its member event in the invite's stripped state: the event must be a join of
 * that very key in this room; anything else, or none, leaves the inviter unnamed (an unverified key).
 */
async function inviterLinkOf(hs: Homeserver, invite: Pdu, inviteState: Pdu[], version: string): Promise<LinkInfo> {
  const member = inviteState.find(
    (e) => e.type === 'm.room.member' && e.state_key === invite.sender && e.sender === invite.sender && e.room_id === invite.room_id,
  );
  if (member?.content?.membership !== 'join')
    return { status: 'unverified', checked_ts: Date.now(), reason: 'the invite came without its sender’s member event' };
  try {
    return await hs.links.checkDetached(member, version);
  } catch (error) {
    return {
      status: 'unverified',
      checked_ts: Date.now(),
      reason: `the inviter’s member event could not be checked: ${(error as Error).message}`,
    };
  }
}

/**
 * An invite over /v2/invite to a room this server is in: it must come from the server of a member who may invite
 * (classic rooms: the sender's user ID's server; member-key rooms: the `domain` the sender's current member event
 * claims), and pass the spec's auth rules against both its own auth events and the room's current state (so an
 * invite for a member who is already joined or banned is refused). Throws 403 M_FORBIDDEN saying which check failed.
 */
function checkInviteInRoom(hs: Homeserver, origin: string, roomId: string, version: string, event: Pdu): void {
  const fed = hs.federation;
  const current = hs.events.currentState(roomId);
  const senderMember = current.get(stateKeyOf('m.room.member', event.sender))?.pdu;
  if (usesMemberKeys(version)) {
    const domain = senderMember ? memberDomain(version, senderMember) : undefined;
    if (!senderMember) throw forbidden(`the invite's sender ${event.sender} is not a member of ${roomId}`);
    if (domain !== origin) throw forbidden(`the invite's sender ${event.sender} is a member of ${domain ?? 'no server'}, not of ${origin}`);
  }
  const createId = fed.createEventId(roomId, version);
  const byAuthEvents = new Map<string, Pdu>();
  for (const id of [...event.auth_events, ...(createId ? [createId] : [])]) {
    const found = fed.findPdu(id);
    if (found && found.pdu.state_key !== undefined && (id === createId || belongsToRoom(found.pdu, roomId, version)))
      byAuthEvents.set(authKey(found.pdu.type, found.pdu.state_key), found.pdu);
  }
  for (const [against, state] of [
    ['its auth events', byAuthEvents],
    ["the room's current state", toAuthState(current)],
  ] as const) {
    try {
      checkAuth(event, state, version, false);
    } catch (error) {
      if (error instanceof AuthError) throw forbidden(`the invite fails the auth rules against ${against}: ${error.message}`);
      throw error;
    }
  }
}

function safeEventId(raw: unknown, version: string): string | undefined {
  try {
    return computeEventId(raw as object, version);
  } catch {
    return undefined;
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, 50) : [];
}
