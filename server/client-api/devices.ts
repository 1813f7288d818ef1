// Device list, rename and delete (delete needs password re-auth, per the spec's user-interactive auth).
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { MatrixError, notFound } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, isObject, optionalString } from '../http/validate';
import { checkPassword, type DeviceRow } from '../storage/accounts';
import { requireAccountKeyAuth } from './portable-identity';

const toDevice = (row: DeviceRow) => ({
  device_id: row.device_id,
  display_name: row.display_name ?? undefined,
  last_seen_ts: row.last_seen_ts ?? undefined,
  last_seen_ip: row.last_seen_ip ?? undefined,
});

export function registerDevices(router: Router, hs: Homeserver): void {
  router.get('~/devices', (ctx) => ({ devices: hs.accounts.devices(requireSession(hs, ctx).userId).map(toDevice) }));

  router.get('~/devices/{deviceId}', (ctx) => {
    const device = hs.accounts.device(requireSession(hs, ctx).userId, ctx.params.deviceId!);
    if (!device) throw notFound('No such device');
    return toDevice(device);
  });

  router.put('~/devices/{deviceId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    if (!hs.accounts.device(session.userId, ctx.params.deviceId!)) throw notFound('No such device');
    const name = optionalString(body, 'display_name');
    if (name !== undefined) hs.accounts.renameDevice(session.userId, ctx.params.deviceId!, name);
    return {};
  });

  const deleteDevices = async (userId: string, deviceIds: string[], auth: unknown) => {
    await requireReauthentication(hs, userId, auth, 'device-delete');
    for (const id of deviceIds) hs.accounts.deleteDevice(userId, id);
    return {};
  };

  router.delete('~/devices/{deviceId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    if (!hs.accounts.device(session.userId, ctx.params.deviceId!)) throw notFound('No such device');
    const body = asObject(await ctx.json());
    return deleteDevices(session.userId, [ctx.params.deviceId!], body.auth);
  });

  router.post('~/delete_devices', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    const ids = body.devices;
    if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string'))
      throw new MatrixError(400, 'M_BAD_JSON', "'devices' must be an array of strings");
    return deleteDevices(session.userId, ids as string[], body.auth);
  });
}

/**
 * User-interactive auth for a sensitive request (delete devices, change password, deactivate): a password account
 * gives its password again; a portable account has none and proves its account key instead.
 */
export async function requireReauthentication(hs: Homeserver, userId: string, auth: unknown, session: string): Promise<void> {
  const portable = hs.accountKeys.forUser(userId);
  if (portable) await requireAccountKeyAuth(hs, userId, portable.account_key, auth, session);
  else requirePasswordAuth(hs, userId, auth, session);
}

function requirePasswordAuth(hs: Homeserver, userId: string, auth: unknown, session: string): void {
  const flows = [{ stages: ['m.login.password'] }];
  if (!isObject(auth)) throw new MatrixError(401, '', '', { flows, params: {}, session });
  const password = optionalString(auth, 'password');
  const account = hs.accounts.getUser(userId);
  if (auth.type !== 'm.login.password' || password === undefined || !account || !checkPassword(password, account.password_hash)) {
    throw new MatrixError(401, 'M_FORBIDDEN', 'Invalid password', { flows, params: {}, session, completed: [] });
  }
}
