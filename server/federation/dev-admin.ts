// Development-only controls for demos and tests (`--dev-admin TOKEN`, loopback only). Without the flag every
// path here answers 404, as if it did not exist.
import type { Homeserver } from '../homeserver';
import { badJson, forbidden, MatrixError, unrecognized } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { sealPdu, type Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import { decodeBase64, keyPairFromSeed, memberIdFromPublicKey, signEvent } from '../../src/protocol';
import { isLocalUserId } from '../homeserver';

const DEV = '/_wayfarer/dev';
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export function registerDevAdmin(router: Router, hs: Homeserver): void {
  const guard = async (ctx: RequestContext): Promise<Record<string, unknown>> => {
    const token = hs.config.devAdminToken;
    if (!token) throw unrecognized();
    if (!LOOPBACK.has(ctx.remoteAddress)) throw forbidden('the dev admin API only answers on loopback');
    if (ctx.headers.authorization !== `Bearer ${token}`) throw new MatrixError(401, 'M_UNKNOWN_TOKEN', 'wrong or missing dev admin token');
    const body = await ctx.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('body must be a JSON object');
    return body as Record<string, unknown>;
  };

  router.post(`${DEV}/rotate_signing_key`, async (ctx) => {
    await guard(ctx);
    const keyId = hs.federation.ownKeys.rotate();
    return { key_id: keyId, old_verify_keys: Object.keys(hs.federation.ownKeys.oldKeys()) };
  });

  router.post(`${DEV}/key_endpoint`, async (ctx) => {
    const body = await guard(ctx);
    if (body.mode !== 'normal' && body.mode !== '404' && body.mode !== 'hang') throw badJson('mode must be "normal", "404" or "hang"');
    hs.federation.keyEndpointMode = body.mode;
    return { mode: body.mode };
  });

  router.post(`${DEV}/federation`, async (ctx) => {
    const body = await guard(ctx);
    if (typeof body.enabled !== 'boolean') throw badJson('enabled must be a boolean');
    hs.federation.client.enabled = body.enabled;
    if (body.enabled) hs.federation.outbound.start();
    return { enabled: body.enabled };
  });

  /** A user's long-polling /syncs: how many wait now, and how many were woken so far (selective wake-ups). */
  router.post(`${DEV}/sync_waiters`, async (ctx) => {
    const body = await guard(ctx);
    if (typeof body.user_id !== 'string') throw badJson('user_id must be a string');
    return hs.notifier.stats(body.user_id);
  });

  router.post(`${DEV}/recheck_links`, async (ctx) => {
    await guard(ctx);
    return hs.links.recheck();
  });

  /**
   * MSC4430: after rotating its key a server SHOULD re-sign its members' events with the new key. The event IDs
   * stay the same (signatures are not hashed); other servers pick the new signatures up when they re-check.
   */
  router.post(`${DEV}/resign_members`, async (ctx) => {
    await guard(ctx);
    let resigned = 0;
    for (const { room_id: roomId, room_version: version } of hs.federation.store.allRooms()) {
      if (!usesMemberKeys(version)) continue;
      for (const event of hs.events.currentState(roomId).values()) {
        if (event.pdu.type !== 'm.room.member' || event.pdu.content.domain !== hs.config.serverName) continue;
        const { [hs.config.serverName]: _old, ...others } = event.pdu.signatures ?? {};
        const pdu = signEvent(
          { ...event.pdu, signatures: others },
          version,
          hs.config.serverName,
          hs.signingKey.keyId,
          hs.signingKey.seed,
        ) as Pdu;
        hs.federation.store.updatePdu(event.eventId, pdu);
        hs.links.forgetEvent(event.eventId);
        resigned++;
      }
    }
    return { resigned };
  });

  /**
   * Demo and tests only: a member event for a local user whose `domain` claims another server, which therefore
   * never co-signs it: the forged link every other server must show as unverified.
   */
  router.post(`${DEV}/forge_member`, async (ctx) => {
    const body = await guard(ctx);
    const { room_id: roomId, user_id: userId, claimed_domain: domain, localpart } = body;
    if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof domain !== 'string' || typeof localpart !== 'string') {
      throw badJson('room_id, user_id, claimed_domain and localpart are required strings');
    }
    if (!isLocalUserId(hs, userId)) throw badJson('user_id must be a local user');
    const version = hs.rooms.versionOf(roomId);
    if (!usesMemberKeys(version)) throw badJson('forged links only exist in member-key rooms');
    const memberKey = hs.rooms.memberIdFor(roomId, version, userId);
    const displayname = hs.accounts.getUser(userId)?.displayname;
    const content = { membership: 'join', ...(displayname ? { displayname } : {}) };
    const sealed = hs.rooms.seal(roomId, userId, { type: 'm.room.member', stateKey: memberKey, content });
    const { hashes: _h, signatures: _s, ...unsealed } = sealed.pdu;
    const forged = { ...unsealed, content: { ...unsealed.content, localpart, domain } };
    const { pdu, eventId } = sealPdu(forged, version, hs.config.serverName, hs.signingKey, hs.rooms.seedOf(roomId, version, userId));
    hs.rooms.commit({ ...sealed, pdu, eventId }, userId);
    return { event_id: eventId };
  });

  /**
   * Tests only: this server behaves as a hostile one that kept a moved account's member key (PROTOCOL.md §7's known
   * limit). With the member seed the test hands it (a real server would simply not have forgotten it), it signs and
   * sends a message as that key although the account was marked moved; then it forgets the seed again.
   */
  router.post(`${DEV}/send_with_kept_key`, async (ctx) => {
    const body = await guard(ctx);
    const { room_id: roomId, user_id: userId, seed, body: text } = body;
    if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof seed !== 'string' || typeof text !== 'string')
      throw badJson('room_id, user_id, seed (unpadded base64) and body are required strings');
    const row = hs.memberKeys.forUser(roomId, userId);
    if (!row) throw badJson(`${userId} has no member key in ${roomId} here`);
    let seedBytes: Uint8Array;
    try {
      seedBytes = decodeBase64(seed);
    } catch {
      throw badJson('seed must be unpadded base64');
    }
    if (seedBytes.length !== 32 || memberIdFromPublicKey(keyPairFromSeed(seedBytes).publicKey) !== row.member_key)
      throw badJson(`that seed is not the seed of ${row.member_key}`);
    hs.memberKeys.setSeed(roomId, userId, seed);
    try {
      const sent = hs.rooms.send(roomId, userId, { type: 'm.room.message', content: { msgtype: 'm.text', body: text } });
      return { event_id: sent.eventId };
    } finally {
      hs.memberKeys.setSeed(roomId, userId, row.seed);
    }
  });

  /** A room's forward extremities (the events a new event would build on). */
  router.post(`${DEV}/forward_extremities`, async (ctx) => {
    const body = await guard(ctx);
    if (typeof body.room_id !== 'string') throw badJson('room_id is required');
    return { event_ids: hs.events.forwardExtremities(body.room_id) };
  });

  /** Where an event ended up here: stored, soft-failed (with why), rejected, or unknown. */
  router.post(`${DEV}/event_status`, async (ctx) => {
    const body = await guard(ctx);
    if (typeof body.event_id !== 'string') throw badJson('event_id is required');
    if (hs.events.event(body.event_id)) return { status: 'stored' };
    const soft = hs.federation.store.softFailed(body.event_id);
    if (soft) return { status: 'soft_failed', reason: soft.reason };
    if (hs.federation.store.isRejected(body.event_id)) return { status: 'rejected' };
    return { status: 'unknown' };
  });
}
