// Server-side key backup (spec: "Server-side key backups"): versions, and keys at three granularities (all, one
// room, one session). Writing to a version that is not the current one answers 403 M_WRONG_ROOM_KEYS_VERSION with
// the current version, so a client holding an old one notices. Every write answers the backup's `etag` and `count`.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, invalidParam, MatrixError, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { asObject, isObject, optionalString, requiredString } from '../http/validate';
import type { BackedUpKey } from '../storage/key-backup';

type Json = Record<string, unknown>;

/** At most this many sessions per upload. */
const MAX_KEYS_PER_UPLOAD = 10_000;

export function registerRoomKeys(router: Router, hs: Homeserver): void {
  const backups = hs.keyBackup;

  const info = (userId: string, version?: string) => {
    const found = backups.get(userId, version);
    if (!found) throw notFound(version === undefined ? 'No current backup version' : `Unknown backup version ${version}`);
    return { algorithm: found.algorithm, auth_data: found.authData, version: found.version, etag: found.etag, count: found.count };
  };

  router.post('~/room_keys/version', async (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const algorithm = requiredString(body, 'algorithm');
    if (!isObject(body.auth_data)) throw badJson("'auth_data' must be an object");
    return { version: backups.create(userId, algorithm, body.auth_data) };
  });

  router.get('~/room_keys/version', (ctx) => info(requireSession(hs, ctx).userId));
  router.get('~/room_keys/version/{version}', (ctx) => info(requireSession(hs, ctx).userId, ctx.params.version!));

  router.put('~/room_keys/version/{version}', async (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const version = ctx.params.version!;
    const body = asObject(await ctx.json());
    const current = backups.get(userId, version);
    if (!current) throw notFound(`Unknown backup version ${version}`);
    const algorithm = requiredString(body, 'algorithm');
    if (algorithm !== current.algorithm) throw invalidParam('the algorithm of a backup version cannot change');
    const named = optionalString(body, 'version');
    if (named !== undefined && named !== version) throw invalidParam('the version in the body does not match the path');
    if (!isObject(body.auth_data)) throw badJson("'auth_data' must be an object");
    backups.updateAuthData(userId, version, body.auth_data);
    return {};
  });

  router.delete('~/room_keys/version/{version}', (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const version = ctx.params.version!;
    if (!backups.get(userId, version)) throw notFound(`Unknown backup version ${version}`);
    backups.delete(userId, version);
    return {};
  });

  // ---- keys: /room_keys/keys[/{roomId}[/{sessionId}]] ----------------------------------------------------------

  /** The version a keys request names: it must exist; writes must go to the current one. */
  const versionOf = (ctx: RequestContext, userId: string, write: boolean): string => {
    const version = ctx.query.get('version');
    if (!version) throw new MatrixError(400, 'M_MISSING_PARAM', "the 'version' query parameter is required");
    const current = backups.get(userId);
    if (write && current?.version !== version) {
      if (!backups.get(userId, version)) throw notFound(`Unknown backup version ${version}`);
      throw new MatrixError(403, 'M_WRONG_ROOM_KEYS_VERSION', 'That is not the current backup version', {
        current_version: current?.version,
      });
    }
    if (!backups.get(userId, version)) throw notFound(`Unknown backup version ${version}`);
    return version;
  };
  const counts = (userId: string, version: string) => {
    const found = backups.get(userId, version)!;
    return { etag: found.etag, count: found.count };
  };

  router.put('~/room_keys/keys', async (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const version = versionOf(ctx, userId, true);
    if (!isObject(body.rooms)) throw badJson("'rooms' must be an object");
    const keys: { roomId: string; sessionId: string; key: BackedUpKey }[] = [];
    for (const [roomId, room] of Object.entries(body.rooms)) {
      if (!isObject(room) || !isObject(room.sessions)) throw badJson(`rooms.${roomId}.sessions must be an object`);
      for (const [sessionId, key] of Object.entries(room.sessions)) keys.push({ roomId, sessionId, key: parseKey(key) });
    }
    if (keys.length > MAX_KEYS_PER_UPLOAD) throw invalidParam(`at most ${MAX_KEYS_PER_UPLOAD} keys per upload`);
    backups.putKeys(userId, version, keys);
    return counts(userId, version);
  });

  router.put('~/room_keys/keys/{roomId}', async (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const version = versionOf(ctx, userId, true);
    if (!isObject(body.sessions)) throw badJson("'sessions' must be an object");
    const roomId = ctx.params.roomId!;
    const keys = Object.entries(body.sessions).map(([sessionId, key]) => ({ roomId, sessionId, key: parseKey(key) }));
    if (keys.length > MAX_KEYS_PER_UPLOAD) throw invalidParam(`at most ${MAX_KEYS_PER_UPLOAD} keys per upload`);
    backups.putKeys(userId, version, keys);
    return counts(userId, version);
  });

  router.put('~/room_keys/keys/{roomId}/{sessionId}', async (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const version = versionOf(ctx, userId, true);
    backups.putKeys(userId, version, [{ roomId: ctx.params.roomId!, sessionId: ctx.params.sessionId!, key: parseKey(body) }]);
    return counts(userId, version);
  });

  router.get('~/room_keys/keys', (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const version = versionOf(ctx, userId, false);
    const rooms: Record<string, { sessions: Record<string, BackedUpKey> }> = {};
    for (const [roomId, sessions] of Object.entries(backups.keys(userId, version))) rooms[roomId] = { sessions };
    return { rooms };
  });

  router.get('~/room_keys/keys/{roomId}', (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const version = versionOf(ctx, userId, false);
    // A room with no keys is an empty room, not a 404 (spec).
    return { sessions: backups.keys(userId, version, ctx.params.roomId!)[ctx.params.roomId!] ?? {} };
  });

  router.get('~/room_keys/keys/{roomId}/{sessionId}', (ctx) => {
    const { userId } = requireSession(hs, ctx);
    const version = versionOf(ctx, userId, false);
    const key = backups.keys(userId, version, ctx.params.roomId!, ctx.params.sessionId!)[ctx.params.roomId!]?.[ctx.params.sessionId!];
    if (!key) throw notFound('No key for that session');
    return key;
  });

  for (const [path, scope] of [
    ['~/room_keys/keys', (_ctx: RequestContext) => [] as string[]],
    ['~/room_keys/keys/{roomId}', (ctx: RequestContext) => [ctx.params.roomId!]],
    ['~/room_keys/keys/{roomId}/{sessionId}', (ctx: RequestContext) => [ctx.params.roomId!, ctx.params.sessionId!]],
  ] as const) {
    router.delete(path, (ctx) => {
      const { userId } = requireSession(hs, ctx);
      const version = versionOf(ctx, userId, false);
      const [roomId, sessionId] = scope(ctx);
      backups.deleteKeys(userId, version, roomId, sessionId);
      return counts(userId, version);
    });
  }
}

function parseKey(value: unknown): BackedUpKey {
  if (!isObject(value)) throw badJson('each key must be an object');
  const { first_message_index: index, forwarded_count: forwarded, is_verified: verified, session_data: data } = value as Json;
  if (!Number.isSafeInteger(index) || (index as number) < 0) throw badJson("'first_message_index' must be a non-negative integer");
  if (!Number.isSafeInteger(forwarded) || (forwarded as number) < 0) throw badJson("'forwarded_count' must be a non-negative integer");
  if (typeof verified !== 'boolean') throw badJson("'is_verified' must be a boolean");
  if (!isObject(data)) throw badJson("'session_data' must be an object");
  return { first_message_index: index as number, forwarded_count: forwarded as number, is_verified: verified, session_data: data };
}
