// Step 1 of the wizard: is the target homeserver reachable, and can it take a portable identity?
import { discoverHomeserver, HomeserverError } from '../../matrix/homeserver';
import { homeserverFetch } from '../../matrix/http';
import { serverNameFromInput } from '../portable/accountKeyAuth';
import type { MigrationPath } from './plan';
import { msg, t, type Message } from '../../i18n';

export const PORTABLE_FEATURE = 'dev.wayfarer.portable_identity';

export interface TargetServer {
  baseUrl: string;
  serverName: string;
  supportsPortable: boolean;
}

export class TargetCheckError extends Error {}

export async function checkTarget(input: string, sourceServerName: string, fetchImpl: typeof fetch = fetch): Promise<TargetServer> {
  if (!input.trim()) throw new TargetCheckError(t('migration.target.empty'));
  const serverName = serverNameFromInput(input);
  if (serverName === sourceServerName) throw new TargetCheckError(t('migration.target.sameServer', { server: sourceServerName }));
  let baseUrl: string;
  try {
    baseUrl = await discoverHomeserver(input, fetchImpl);
  } catch (error) {
    throw new TargetCheckError(
      error instanceof HomeserverError ? error.message : t('migration.target.unreachable', { server: serverName }),
      { cause: error },
    );
  }
  let versions: { unstable_features?: Record<string, unknown> } | null;
  try {
    versions = await homeserverFetch(`${baseUrl}/_matrix/client/versions`, { fetch: fetchImpl, timeoutMs: 10_000 });
  } catch (error) {
    throw new TargetCheckError(
      t('migration.target.notMatrix', { server: serverName, error: error instanceof Error ? error.message : String(error) }),
      { cause: error },
    );
  }
  return { baseUrl, serverName, supportsPortable: versions?.unstable_features?.[PORTABLE_FEATURE] === true };
}

/** Which path the move takes, and what that means, as a message the view renders with t(). */
export function choosePath(oldIsPortable: boolean | undefined, target: TargetServer): { path: MigrationPath; explanation: Message } {
  if (oldIsPortable === undefined && target.supportsPortable) {
    return { path: 'portable', explanation: msg('migration.target.oldUnknown', { server: target.serverName }) };
  }
  if (oldIsPortable && target.supportsPortable) {
    return { path: 'portable', explanation: msg('migration.target.portable', { server: target.serverName }) };
  }
  if (!oldIsPortable) {
    return { path: 'classic', explanation: msg('migration.target.passwordAccount') };
  }
  return { path: 'classic', explanation: msg('migration.target.noPortable', { server: target.serverName }) };
}
