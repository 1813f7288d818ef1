// matrix-js-sdk 37 drops `org.matrix.msc4428.member_info` from /sync and /members: this fetch wrapper, handed to
// createClient as fetchFn, reads it from the raw responses into the identity store. A link that changes status
// then reaches every rendered sender at once, without any new event and without a reload.
import { Method, type MatrixClient } from 'matrix-js-sdk';
import { MEMBER_INFO_FIELD } from '../../protocol';
import { ingestSyncBody, type IdentityStore } from './identityStore';
import { logger } from '../../platform/logger';

const log = logger('identity');

function urlOf(input: RequestInfo | URL): URL | undefined {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, 'http://invalid');
  } catch {
    return undefined;
  }
}

/** What a response means for member_info: a sync (initial or not), a room's /members, or nothing. */
export function memberInfoSource(url: URL): { kind: 'sync'; initial: boolean } | { kind: 'members'; roomId: string } | undefined {
  if (/\/_matrix\/client\/(v3|r0)\/sync$/.test(url.pathname)) return { kind: 'sync', initial: !url.searchParams.get('since') };
  const members = /\/_matrix\/client\/(?:v3|r0)\/rooms\/([^/]+)\/members$/.exec(url.pathname);
  // `at` asks for the members at an older point: not the current links.
  if (members && !url.searchParams.has('at')) return { kind: 'members', roomId: decodeURIComponent(members[1]!) };
  return undefined;
}

/** `onSync` sees every /sync body too (e.g. the invite-key pool count), parsed once with member_info. */
export function memberInfoFetch(inner: typeof fetch, store: IdentityStore, onSync?: (body: Record<string, unknown>) => void): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const url = urlOf(input);
    const source = url && response.ok ? memberInfoSource(url) : undefined;
    if (source) {
      // Read a copy: the SDK reads the original. A body we cannot parse is the SDK's problem to report, not ours.
      try {
        const body = (await response.clone().json()) as Record<string, unknown>;
        if (source.kind === 'sync') {
          ingestSyncBody(store, body, source.initial);
          onSync?.(body);
        } else if (body[MEMBER_INFO_FIELD] !== undefined) store.getState().ingestMemberInfo(source.roomId, body[MEMBER_INFO_FIELD], true);
      } catch (error) {
        log.debug(`member_info not read from ${url?.pathname} (not JSON, or not understood)`, error);
      }
    }
    return response;
  };
}

/** After a reload the SDK resumes from its cached sync, whose member_info we never saw: ask /members once. */
export async function loadRoomMemberInfo(client: MatrixClient, roomId: string): Promise<void> {
  await client.http.authedRequest(Method.Get, `/rooms/${encodeURIComponent(roomId)}/members`, { not_membership: 'leave' });
}
