// Step 1 of the wizard: is the target homeserver reachable, and can it take a portable identity?
import { discoverHomeserver, HomeserverError } from '../../matrix/homeserver';
import { homeserverFetch } from '../../matrix/http';
import { serverNameFromInput } from '../portable/accountKeyAuth';
import type { MigrationPath } from './plan';

export const PORTABLE_FEATURE = 'dev.wayfarer.portable_identity';

export interface TargetServer {
  baseUrl: string;
  serverName: string;
  supportsPortable: boolean;
}

export class TargetCheckError extends Error {}

export async function checkTarget(input: string, sourceServerName: string, fetchImpl: typeof fetch = fetch): Promise<TargetServer> {
  if (!input.trim()) throw new TargetCheckError('Enter the homeserver to move to, e.g. beta.example.org');
  const serverName = serverNameFromInput(input);
  if (serverName === sourceServerName) throw new TargetCheckError(`That is the server you are on (${sourceServerName}). Choose another one.`);
  let baseUrl: string;
  try {
    baseUrl = await discoverHomeserver(input, fetchImpl);
  } catch (error) {
    throw new TargetCheckError(error instanceof HomeserverError ? error.message : `Cannot reach ${serverName}.`, { cause: error });
  }
  let versions: { unstable_features?: Record<string, unknown> } | null;
  try {
    versions = await homeserverFetch(`${baseUrl}/_matrix/client/versions`, { fetch: fetchImpl, timeoutMs: 10_000 });
  } catch (error) {
    throw new TargetCheckError(`${serverName} did not answer as a Matrix homeserver (${error instanceof Error ? error.message : String(error)}).`, { cause: error });
  }
  return { baseUrl, serverName, supportsPortable: versions?.unstable_features?.[PORTABLE_FEATURE] === true };
}

/** Which path the move takes, and what that means, in words. */
export function choosePath(oldIsPortable: boolean | undefined, target: TargetServer): { path: MigrationPath; explanation: string } {
  if (oldIsPortable === undefined && target.supportsPortable) {
    return { path: 'portable', explanation: `Your old server cannot be reached to ask whether this account is portable. If you made it with a recovery key, your identity moves with it to ${target.serverName}; the plan checks every room's key against your recovery key.` };
  }
  if (oldIsPortable && target.supportsPortable) {
    return { path: 'portable', explanation: `${target.serverName} supports portable identities: in rooms with member keys you keep your identity, history and power level; other rooms use a re-invite.` };
  }
  if (!oldIsPortable) {
    return { path: 'classic', explanation: 'Your account was made with a password, so its identity cannot move. The classic path: your old account invites a new account on the new server into each room. Your old messages stay under the old name.' };
  }
  return { path: 'classic', explanation: `${target.serverName} does not support portable identities, so only the classic path is possible: your old account invites a new account into each room, and people see a new member. Your old messages stay under the old name.` };
}
