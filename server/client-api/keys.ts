// End-to-end encryption, Client-Server (spec v1.x "End-to-end encryption"): device, one-time and fallback key
// upload, key query and claim (`failures` always present: matrix-nio 0.20 requires it), device-list changes,
// to-device messages, cross-signing keys (with user-interactive auth to replace them) and their signatures.
import { canonicalJson, decodeBase64, verifyJsonSignatureSync } from '../../src/protocol';
import { ACCOUNT_KEY_LOGIN_TYPE } from '../../src/protocol';
import { MAX_DEVICES_PER_USER, MAX_QUERY_USERS, MAX_TO_DEVICE_MESSAGES, validCrossSigningKey, validDeviceKeys } from '../e2ee/e2ee';
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, invalidParam, MatrixError } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, isObject, optionalInteger, optionalObject, type JsonObject } from '../http/validate';
import type { Session } from '../storage/accounts';
import type { CrossSigningKeyType, OneTimeKey } from '../storage/e2e-keys';
import { parseSyncToken } from '../sync/tokens';
import { requireReauthentication } from './devices';

type Json = Record<string, unknown>;

/** The user-interactive-auth stage a portable account answers with (no password): an account-key proof, as at login. */
export const ACCOUNT_KEY_AUTH_STAGE = ACCOUNT_KEY_LOGIN_TYPE;

export function registerKeys(router: Router, hs: Homeserver): void {
  const { e2ee } = hs;
  const store = e2ee.keys;

  router.post('~/keys/upload', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const deviceKeys = optionalObject(body, 'device_keys');
    const oneTimeKeys = parseKeyMap(optionalObject(body, 'one_time_keys'), 'one_time_keys');
    const fallbackKeys = parseKeyMap(
      optionalObject(body, 'fallback_keys') ?? optionalObject(body, 'org.matrix.msc2732.fallback_keys'),
      'fallback_keys',
    );
    if (deviceKeys) checkOwnDeviceKeys(deviceKeys, session);
    let deviceChanged = false;
    store.transaction(() => {
      if (deviceKeys) {
        const before = store.ownDeviceKeys(session.userId, session.deviceId);
        if (!before || canonicalJson(before) !== canonicalJson(deviceKeys)) {
          store.putDeviceKeys(session.userId, session.deviceId, deviceKeys);
          deviceChanged = true;
        }
      }
      const clash = store.addOneTimeKeys(session.userId, session.deviceId, oneTimeKeys);
      if (clash) throw invalidParam(`One-time key ${clash} already exists with different content`);
      for (const key of fallbackKeys) store.setFallbackKey(session.userId, session.deviceId, key);
    });
    if (deviceChanged) e2ee.localDeviceChanged(session.userId, session.deviceId);
    return { one_time_key_counts: { signed_curve25519: 0, ...store.oneTimeKeyCounts(session.userId, session.deviceId) } };
  });

  router.post('~/keys/query', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const request = parseQuery(optionalObject(body, 'device_keys') ?? {});
    const timeout = optionalInteger(body, 'timeout') ?? 10_000;
    return e2ee.queryKeys(session.userId, request, Math.max(0, timeout));
  });

  router.post('~/keys/claim', async (ctx) => {
    requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const wanted = optionalObject(body, 'one_time_keys') ?? {};
    const request: Record<string, Record<string, string>> = {};
    const users = Object.entries(wanted);
    if (users.length > MAX_QUERY_USERS) throw invalidParam(`at most ${MAX_QUERY_USERS} users per claim`);
    for (const [userId, devices] of users) {
      if (!isObject(devices)) throw badJson(`one_time_keys.${userId} must be an object`);
      const entries = Object.entries(devices);
      if (entries.length > MAX_DEVICES_PER_USER) throw invalidParam(`at most ${MAX_DEVICES_PER_USER} devices per user`);
      for (const [, algorithm] of entries) if (typeof algorithm !== 'string') throw badJson('algorithms must be strings');
      request[userId] = devices as Record<string, string>;
    }
    const timeout = optionalInteger(body, 'timeout') ?? 10_000;
    return e2ee.claimKeys(request, Math.max(0, timeout));
  });

  router.get('~/keys/changes', (ctx) => {
    const session = requireSession(hs, ctx);
    const from = ctx.query.get('from');
    const to = ctx.query.get('to');
    if (!from || !to) throw new MatrixError(400, 'M_MISSING_PARAM', "'from' and 'to' are required");
    const { changed, left } = e2ee.changesBetween(session.userId, parseSyncToken(from).position, parseSyncToken(to).position);
    return { changed, left };
  });

  router.put('~/sendToDevice/{eventType}/{txnId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const messages = optionalObject(body, 'messages') ?? {};
    let count = 0;
    for (const [userId, devices] of Object.entries(messages)) {
      if (!/^@[^:\s]+:\S+$/.test(userId)) throw invalidParam(`${JSON.stringify(userId.slice(0, 80))} is not a user ID`);
      if (!isObject(devices)) throw badJson(`messages.${userId} must be an object`);
      for (const content of Object.values(devices)) {
        if (!isObject(content)) throw badJson('each message must be an object');
        count++;
      }
    }
    if (count > MAX_TO_DEVICE_MESSAGES) throw invalidParam(`at most ${MAX_TO_DEVICE_MESSAGES} messages per request`);
    e2ee.sendToDevice(session, ctx.params.txnId!, ctx.params.eventType!, messages as Record<string, Record<string, Json>>);
    return {};
  });

  // ---- cross-signing ---------------------------------------------------------------------------------------

  router.post('~/keys/device_signing/upload', async (ctx) => {
    const session = requireSession(hs, ctx);
    const { userId } = session;
    const body = asObject(await ctx.json());
    const master = optionalObject(body, 'master_key');
    const selfSigning = optionalObject(body, 'self_signing_key');
    const userSigning = optionalObject(body, 'user_signing_key');
    // Spec (MSC3967): no auth for the first master key, or for a request with no new key in it; anything that
    // replaces a stored key needs user-interactive auth.
    const differs = (key: JsonObject | undefined, type: CrossSigningKeyType) => {
      if (!key) return false;
      const stored = store.crossSigningKey(userId, type, userId);
      return !stored || canonicalJson(stripSignatures(stored)) !== canonicalJson(stripSignatures(key));
    };
    const current = store.crossSigningKey(userId, 'master', userId);
    const changes = {
      master: differs(master, 'master'),
      selfSigning: differs(selfSigning, 'self_signing'),
      userSigning: differs(userSigning, 'user_signing'),
    };
    if (current !== undefined && (changes.master || changes.selfSigning || changes.userSigning))
      await requireReauthentication(hs, userId, body.auth, 'device-signing-upload');
    const masterKey = master ?? current;
    if (master && !validCrossSigningKey(master, userId, 'master'))
      throw invalidParam('master_key is not a master key of yours (user_id, usage, one ed25519 key)');
    if ((selfSigning || userSigning) && !masterKey) throw invalidParam('upload a master key first');
    for (const [key, usage] of [
      [selfSigning, 'self_signing'],
      [userSigning, 'user_signing'],
    ] as const) {
      if (!key) continue;
      if (!validCrossSigningKey(key, userId, usage)) throw invalidParam(`${usage}_key is not a ${usage} key of yours`);
      if (!signedBy(key, userId, masterKey!)) throw invalidParam(`${usage}_key must be signed by your master key`);
    }
    if (!changes.master && !changes.selfSigning && !changes.userSigning) return {};
    store.transaction(() => {
      if (changes.master) store.putCrossSigningKey(userId, 'master', master!);
      if (changes.selfSigning) store.putCrossSigningKey(userId, 'self_signing', selfSigning!);
      if (changes.userSigning) store.putCrossSigningKey(userId, 'user_signing', userSigning!);
    });
    e2ee.localSigningKeysChanged(userId);
    return {};
  });

  router.post('~/keys/signatures/upload', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const failures: Record<string, Record<string, Json>> = {};
    const fail = (userId: string, keyId: string, error: string, errcode = 'M_INVALID_SIGNATURE') =>
      ((failures[userId] ??= {})[keyId] = { errcode, error });
    const devicesChanged = new Set<string>();
    const othersSigned = new Set<string>();
    let signingKeysChanged = false;
    const { userId: me } = session;
    const selfSigning = store.crossSigningKey(me, 'self_signing', me);
    const userSigning = store.crossSigningKey(me, 'user_signing', me);
    const ownMaster = store.crossSigningKey(me, 'master', me);
    const remoteMasters = new Map<string, Json | undefined>();
    for (const [targetUser, byKey] of Object.entries(body)) {
      if (!isObject(byKey)) continue;
      for (const [keyId, signed] of Object.entries(byKey)) {
        if (!isObject(signed)) {
          fail(targetUser, keyId, 'not an object', 'M_BAD_JSON');
          continue;
        }
        const mySignatures = (signed.signatures as Record<string, Record<string, unknown>> | undefined)?.[me];
        if (!isObject(mySignatures)) {
          fail(targetUser, keyId, `no signature by ${me}`);
          continue;
        }
        if (targetUser === me) {
          const device = store.ownDeviceKeys(me, keyId);
          if (device) {
            // One of my devices, signed by my self-signing key.
            if (!selfSigning) fail(me, keyId, 'no self-signing key uploaded', 'M_MISSING_PARAM');
            else if (!sameKeys(device, signed)) fail(me, keyId, 'the signed object is not the device keys stored');
            else {
              const signerId = Object.keys(selfSigning.keys as Json)[0]!;
              const signature = mySignatures[signerId];
              if (typeof signature !== 'string' || !signedBy(signed, me, selfSigning)) fail(me, keyId, 'bad self-signing signature');
              else {
                store.addSignature(me, keyId, me, signerId, signature);
                devicesChanged.add(keyId);
              }
            }
            continue;
          }
          // My master key, signed by one of my devices.
          if (ownMaster && Object.keys(ownMaster.keys as Json)[0] === `ed25519:${keyId}`) {
            if (!sameKeys(ownMaster, signed)) {
              fail(me, keyId, 'the signed object is not your master key');
              continue;
            }
            let stored = false;
            for (const [signerId, signature] of Object.entries(mySignatures)) {
              const deviceId = signerId.startsWith('ed25519:') ? signerId.slice(8) : '';
              const signer = store.ownDeviceKeys(me, deviceId);
              const publicKey = (signer?.keys as Json | undefined)?.[signerId];
              if (typeof signature !== 'string' || typeof publicKey !== 'string') continue;
              if (!verify(signed, me, signerId, publicKey)) continue;
              store.addSignature(me, `ed25519:${keyId}`, me, signerId, signature);
              stored = true;
            }
            if (stored) signingKeysChanged = true;
            else fail(me, keyId, 'no valid device signature of your master key');
            continue;
          }
          fail(me, keyId, 'unknown key', 'M_NOT_FOUND');
          continue;
        }
        // Another user's master key, signed by my user-signing key.
        if (!userSigning) {
          fail(targetUser, keyId, 'no user-signing key uploaded', 'M_MISSING_PARAM');
          continue;
        }
        if (!remoteMasters.has(targetUser)) {
          const answer = await e2ee.queryKeys(me, { [targetUser]: [] });
          remoteMasters.set(targetUser, answer.master_keys[targetUser]);
        }
        const theirMaster = remoteMasters.get(targetUser);
        if (!theirMaster || Object.keys(theirMaster.keys as Json)[0] !== `ed25519:${keyId}` || !sameKeys(theirMaster, signed)) {
          fail(targetUser, keyId, `not ${targetUser}'s master key`, 'M_NOT_FOUND');
          continue;
        }
        const signerId = Object.keys(userSigning.keys as Json)[0]!;
        const signature = mySignatures[signerId];
        if (typeof signature !== 'string' || !signedBy(signed, me, userSigning)) {
          fail(targetUser, keyId, 'bad user-signing signature');
          continue;
        }
        store.addSignature(targetUser, `ed25519:${keyId}`, me, signerId, signature);
        signingKeysChanged = true;
        othersSigned.add(targetUser);
      }
    }
    for (const deviceId of devicesChanged) e2ee.localDeviceChanged(me, deviceId);
    if (signingKeysChanged) e2ee.localSigningKeysChanged(me);
    for (const target of othersSigned) e2ee.signedOtherUser(me, target);
    return { failures };
  });
}

function checkOwnDeviceKeys(keys: JsonObject, session: Session): void {
  if (!validDeviceKeys(keys, session.userId, session.deviceId))
    throw invalidParam('device_keys must name your user ID and this device, with a keys object');
  if (!Array.isArray(keys.algorithms) || !keys.algorithms.every((a) => typeof a === 'string'))
    throw invalidParam('device_keys.algorithms must be strings');
  const signerId = `ed25519:${session.deviceId}`;
  const publicKey = (keys.keys as Json)[signerId];
  if (typeof publicKey !== 'string' || !verify(keys, session.userId, signerId, publicKey))
    throw invalidParam(`device_keys must be signed by the device's own key ${signerId}`);
}

function parseKeyMap(map: JsonObject | undefined, what: string): OneTimeKey[] {
  if (!map) return [];
  const entries = Object.entries(map);
  if (entries.length > 1000) throw invalidParam(`at most 1000 ${what} per upload`);
  return entries.map(([id, key]) => {
    const colon = id.indexOf(':');
    if (colon <= 0 || colon === id.length - 1)
      throw invalidParam(`${what}: key ID ${JSON.stringify(id.slice(0, 80))} must be <algorithm>:<id>`);
    if (typeof key !== 'string' && !isObject(key)) throw badJson(`${what}.${id} must be a string or an object`);
    return { algorithm: id.slice(0, colon), keyId: id.slice(colon + 1), key };
  });
}

function parseQuery(deviceKeys: JsonObject): Record<string, string[]> {
  const entries = Object.entries(deviceKeys);
  if (entries.length > MAX_QUERY_USERS) throw invalidParam(`at most ${MAX_QUERY_USERS} users per query`);
  const request: Record<string, string[]> = {};
  for (const [userId, devices] of entries) {
    if (!Array.isArray(devices) || !devices.every((d) => typeof d === 'string'))
      throw badJson(`device_keys.${userId} must be a list of device IDs`);
    request[userId] = devices.slice(0, MAX_DEVICES_PER_USER) as string[];
  }
  return request;
}

const stripSignatures = (key: Json) => {
  const { signatures: _s, unsigned: _u, ...rest } = key;
  return rest;
};

/** Is `signed` the same key as `stored` (everything but signatures and unsigned)? */
const sameKeys = (stored: Json, signed: Json) => canonicalJson(stripSignatures(stored)) === canonicalJson(stripSignatures(signed));

function verify(object: Json, userId: string, keyId: string, publicKey: string): boolean {
  try {
    return verifyJsonSignatureSync(object, userId, keyId, decodeBase64(publicKey));
  } catch {
    return false;
  }
}

/** Is `object` signed by the cross-signing key `signer` (its one ed25519 key) of `userId`? */
function signedBy(object: Json, userId: string, signer: Json): boolean {
  const [keyId, publicKey] = Object.entries(signer.keys as Json)[0] ?? [];
  return typeof keyId === 'string' && typeof publicKey === 'string' && verify(object, userId, keyId, publicKey);
}
