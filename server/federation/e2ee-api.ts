// Server-Server end-to-end encryption (spec: "End-to-End Encryption" and "Device Management"): another server asks
// for our users' device and cross-signing keys, claims their one-time keys, and fetches a user's whole device list
// (its resync after a gap in m.device_list_update). Only local users are answered for; user-signing keys never leave.
import { MAX_DEVICES_PER_USER, MAX_QUERY_USERS } from '../e2ee/e2ee';
import type { Homeserver } from '../homeserver';
import { isLocalUserId } from '../homeserver';
import { badJson, invalidParam, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { asObject, isObject } from '../http/validate';

const FED = '/_matrix/federation/v1';

export function registerFederationE2ee(router: Router, hs: Homeserver, authenticate: (ctx: RequestContext) => Promise<string>): void {
  router.post(`${FED}/user/keys/query`, async (ctx) => {
    await authenticate(ctx);
    const body = asObject(await ctx.json());
    if (!isObject(body.device_keys)) throw badJson("'device_keys' must be an object");
    const entries = Object.entries(body.device_keys);
    if (entries.length > MAX_QUERY_USERS) throw invalidParam(`at most ${MAX_QUERY_USERS} users per query`);
    const request: Record<string, string[]> = {};
    for (const [userId, devices] of entries) {
      if (!isLocalUserId(hs, userId)) continue;
      if (!Array.isArray(devices) || !devices.every((d) => typeof d === 'string')) throw badJson(`device_keys.${userId} must be a list`);
      request[userId] = (devices as string[]).slice(0, MAX_DEVICES_PER_USER);
    }
    const { device_keys, master_keys, self_signing_keys } = hs.e2ee.localKeys(request, undefined);
    return { device_keys, master_keys, self_signing_keys };
  });

  router.post(`${FED}/user/keys/claim`, async (ctx) => {
    await authenticate(ctx);
    const body = asObject(await ctx.json());
    if (!isObject(body.one_time_keys)) throw badJson("'one_time_keys' must be an object");
    const entries = Object.entries(body.one_time_keys);
    if (entries.length > MAX_QUERY_USERS) throw invalidParam(`at most ${MAX_QUERY_USERS} users per claim`);
    const request: Record<string, Record<string, string>> = {};
    for (const [userId, devices] of entries) {
      if (!isLocalUserId(hs, userId) || !isObject(devices)) continue;
      const wanted = Object.entries(devices).filter((e): e is [string, string] => typeof e[1] === 'string');
      request[userId] = Object.fromEntries(wanted.slice(0, MAX_DEVICES_PER_USER));
    }
    return { one_time_keys: hs.e2ee.claimLocal(request) };
  });

  router.get(`${FED}/user/devices/{userId}`, async (ctx) => {
    await authenticate(ctx);
    const userId = ctx.params.userId!;
    if (!isLocalUserId(hs, userId) || !hs.accounts.getUser(userId)) throw notFound(`${userId} is not a user of this server`);
    return hs.e2ee.userDevices(userId);
  });
}
