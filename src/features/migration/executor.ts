// The steps of a migration against real homeservers (Client-Server API and PROTOCOL.md §5), each idempotent: it
// first looks whether its effect is already there, so running it again after a crash changes nothing.
// Plain fetch through homeserverFetch, no matrix-js-sdk: the same code runs in the browser, in tests and in the benchmark.
import {
  encodeBase64,
  localpartOf,
  memberIdFromPublicKey,
  normaliseKey,
  STABLE_ID_STATE_KEY_FIELD,
  verifyLink,
  WAYFARER_CLIENT_PREFIX,
} from '../../protocol';
import { homeserverFetch, homeserverResponse, MatrixHttpError } from '../../matrix/http';
import { logger } from '../../platform/logger';
import { fetchDomainKeys, fetchMemberEvent } from '../identity/browserVerify';
import { movedRoomIds, type MigrationJournal, type StepRecord } from './journal';
import { rewriteDirect, rewriteIgnored, viaServers, type RoomSnapshot } from './plan';
import { derivableKeys } from '../portable/keyOrigin';
import { patientFetch, type RateLimitWait } from './rateLimit';
import type { StepExecutor } from './runner';
import { t } from '../../i18n';

type Fetch = typeof fetch;

const log = logger('migration');

export interface Endpoint {
  baseUrl: string;
  accessToken: string;
}

/** The parts of the servers' answers the steps read; anything may be missing, or another type, in what a server sends. */
interface StateEventJson {
  type?: unknown;
  content?: { localpart?: unknown; domain?: unknown; membership?: unknown };
  unsigned?: Record<string, unknown>;
}
interface PowerLevelsJson {
  users?: Record<string, number>;
  users_default?: number;
  [field: string]: unknown;
}
interface MemberInfoJson {
  user_id?: unknown;
  'dev.wayfarer.link'?: { status?: unknown; reason?: unknown };
}
type MembersJson = { 'org.matrix.msc4428.member_info'?: Record<string, MemberInfoJson | undefined> };

/** One call to the old or the new server; a refusal or failure throws MatrixHttpError ("beta answered 502: …"). */
export function call<T = unknown>(fetchImpl: Fetch, endpoint: Endpoint, method: string, path: string, body?: unknown): Promise<T> {
  return homeserverFetch<T>(`${endpoint.baseUrl.replace(/\/$/, '')}${path}`, {
    method,
    accessToken: endpoint.accessToken,
    fetch: fetchImpl,
    ...(body !== undefined ? { body } : {}),
  });
}

const enc = encodeURIComponent;

export interface ExecutorDeps {
  fetch: Fetch;
  /** The old account's session; its server may be offline (the portable path never needs it). */
  source: Endpoint;
  /** Portable path: the member-key root derived from the recovery key, kept in memory only. */
  memberRoot?: Uint8Array;
  /** The notice posted in each room on the classic path. */
  noticeText?: (journal: MigrationJournal) => string;
  /** A server answered 429: the step waits (this long) and sends again; undefined once nothing waits. */
  onRateLimit?: (wait: RateLimitWait | undefined) => void;
  /** Waits out a 429 (tests pass a quicker one). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The seed of the old account's key in a room, made again from the recovery key: from the room ID, the creator
 * nonce (rooms it created), or the invite-key nonce (rooms it was invited to while its pool had keys).
 */
export function memberSeedFor(memberRoot: Uint8Array, room: RoomSnapshot): Uint8Array | undefined {
  const candidates = derivableKeys(memberRoot, room);
  const wanted = room.memberKey ? normaliseKey(room.memberKey) : undefined;
  return candidates.find((pair) => normaliseKey(memberIdFromPublicKey(pair.publicKey)) === wanted)?.seed;
}

function roomOf(journal: MigrationJournal, step: StepRecord): RoomSnapshot {
  const roomId = journal.items.find((i) => i.id === step.itemId)?.roomId;
  const room = journal.snapshot.rooms.find((r) => r.roomId === roomId);
  if (!room) throw new Error(`The plan has no room for ${step.itemId}`);
  return room;
}

/** The target's membership of a room, or undefined when it does not know it. */
async function targetMembership(deps: ExecutorDeps, journal: MigrationJournal, roomId: string): Promise<string | undefined> {
  try {
    const joined = await call<{ joined_rooms: string[] }>(deps.fetch, journal.target, 'GET', '/_matrix/client/v3/joined_rooms');
    return joined.joined_rooms.includes(roomId) ? 'join' : undefined;
  } catch (error) {
    // Not knowing is an answer here: the step then does its work, which fails with the real reason if it must.
    log.debug(`could not read ${journal.target.serverName}'s joined rooms; treating ${roomId} as not joined`, error);
    return undefined;
  }
}

/** The new account's member key in a member-key room, from its own member event on the target. */
async function targetMemberKey(deps: ExecutorDeps, journal: MigrationJournal, roomId: string): Promise<string> {
  const state = await call<StateEventJson[]>(deps.fetch, journal.target, 'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state`);
  const localpart = localpartOf(journal.target.userId);
  const own = state.find(
    (e) =>
      e?.type === 'm.room.member' &&
      e.content?.localpart === localpart &&
      e.content?.domain === journal.target.serverName &&
      e.content?.membership === 'join',
  );
  const key = own?.unsigned?.[STABLE_ID_STATE_KEY_FIELD];
  if (typeof key !== 'string') throw new Error(`${journal.target.serverName} does not show the new account's member key in this room yet`);
  return key;
}

/**
 * The avatar as a file of the new server: downloaded (authenticated media) from the old server, or, with that one
 * offline, through the new server's own copy or federation fetch, then uploaded to the new server. Undefined when
 * no copy could be had: the profile then keeps the old server's URL, which works again when that server is back.
 */
async function reuploadAvatar(deps: ExecutorDeps, journal: MigrationJournal, mxc: string): Promise<string | undefined> {
  const parts = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
  if (!parts) return undefined;
  const [, server, mediaId] = parts as unknown as [string, string, string];
  if (server === journal.target.serverName) return mxc;
  const path = `/_matrix/client/v1/media/download/${enc(server)}/${enc(mediaId)}`;
  for (const from of [deps.source, journal.target]) {
    let file: Blob;
    try {
      const response = await homeserverResponse(`${from.baseUrl.replace(/\/$/, '')}${path}`, {
        accessToken: from.accessToken,
        fetch: deps.fetch,
        timeoutMs: 60_000,
      });
      file = await response.blob();
    } catch (error) {
      log.debug(`could not download the avatar ${mxc} through ${from.baseUrl}`, error);
      continue;
    }
    const upload = await deps.fetch(`${journal.target.baseUrl.replace(/\/$/, '')}/_matrix/media/v3/upload?filename=avatar`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${journal.target.accessToken}`, 'Content-Type': file.type || 'application/octet-stream' },
      body: file,
    });
    const reply = (await upload.json().catch(() => ({}))) as { content_uri?: unknown; error?: unknown };
    if (!upload.ok || typeof reply.content_uri !== 'string')
      throw new Error(
        `${journal.target.serverName} refused the avatar upload (${upload.status}${reply.error ? `: ${String(reply.error)}` : ''})`,
      );
    return reply.content_uri;
  }
  return undefined;
}

export function createExecutor(given: ExecutorDeps): StepExecutor {
  // Every call of every step waits out a 429 and goes on: a move never fails because a server asked to slow down.
  const deps: ExecutorDeps = {
    ...given,
    fetch: patientFetch(given.fetch, {
      ...(given.onRateLimit ? { onWait: given.onRateLimit } : {}),
      ...(given.sleep ? { sleep: given.sleep } : {}),
    }),
  };
  const steps: Record<StepRecord['kind'], (step: StepRecord, journal: MigrationJournal) => Promise<string | void>> = {
    async adopt(step, journal) {
      const room = roomOf(journal, step);
      if (!deps.memberRoot) throw new Error(t('migration.step.needRecoveryKey'));
      const seed = memberSeedFor(deps.memberRoot, room);
      if (!seed) throw new Error(t('migration.step.keyNotFromRecovery'));
      const reply = await call<{ changed: boolean; event_id: string }>(
        deps.fetch,
        journal.target,
        'POST',
        `${WAYFARER_CLIENT_PREFIX}/migrate/adopt`,
        {
          room_id: room.roomId,
          seed: encodeBase64(seed),
          via: viaServers(room, journal.source.serverName, journal.target.serverName),
          ...(room.displayname !== undefined ? { displayname: room.displayname } : {}),
          ...(room.avatarUrl !== undefined ? { avatar_url: room.avatarUrl } : {}),
        },
      );
      return reply.changed ? `adopted (${reply.event_id})` : 'already adopted';
    },

    async invite(step, journal) {
      const room = roomOf(journal, step);
      if ((await targetMembership(deps, journal, room.roomId)) === 'join') return 'the new account is already in the room';
      try {
        await call(deps.fetch, deps.source, 'POST', `/_matrix/client/v3/rooms/${enc(room.roomId)}/invite`, {
          user_id: journal.target.userId,
          reason: 'Moving my account',
        });
        return 'invited';
      } catch (error) {
        // Already invited (a retry after the invite went through): the auth rules refuse a second one.
        if (error instanceof MatrixHttpError && error.httpStatus === 403 && /already|invite/i.test(error.message)) {
          const pending = await call<{ rooms?: { invite?: Record<string, unknown> } }>(
            deps.fetch,
            journal.target,
            'GET',
            '/_matrix/client/v3/sync?timeout=0&filter=' + enc(JSON.stringify({ room: { timeline: { limit: 0 } } })),
          ).catch((syncError: unknown) => {
            // Without the target's view the refusal stands: the invite's own error is thrown below.
            log.debug(`could not read ${journal.target.serverName}'s pending invites`, syncError);
            return undefined;
          });
          if (pending?.rooms?.invite?.[room.roomId]) return 'already invited';
        }
        throw error;
      }
    },

    async join(step, journal) {
      const room = roomOf(journal, step);
      if ((await targetMembership(deps, journal, room.roomId)) === 'join') return 'already joined';
      const item = journal.items.find((i) => i.id === step.itemId)!;
      const others = viaServers(room, journal.source.serverName, journal.target.serverName);
      // After an invite, join through the inviting (old) server: the others may not have seen the invite yet.
      const via =
        item.action === 'reinvite' ? [journal.source.serverName, ...others.filter((s) => s !== journal.source.serverName)] : others;
      const query = via.map((s) => `server_name=${enc(s)}&via=${enc(s)}`).join('&');
      await call(deps.fetch, journal.target, 'POST', `/_matrix/client/v3/join/${enc(room.roomId)}?${query}`, {});
      return 'joined';
    },

    async power(step, journal) {
      const room = roomOf(journal, step);
      const item = journal.items.find((i) => i.id === step.itemId)!;
      const level = item.carryPowerLevel!;
      const path = `/_matrix/client/v3/rooms/${enc(room.roomId)}/state/m.room.power_levels/`;
      const current = await call<PowerLevelsJson>(deps.fetch, deps.source, 'GET', path);
      const users = current.users ?? {};
      // Member-key rooms name members by key in power levels: the new account's key, as its own member event says.
      const subject = room.memberKeys ? await targetMemberKey(deps, journal, room.roomId) : journal.target.userId;
      if ((users[subject] ?? users[journal.target.userId] ?? current.users_default ?? 0) >= level) return `already at ${level}`;
      await call(deps.fetch, deps.source, 'PUT', path, { ...current, users: { ...users, [subject]: level } });
      return `power level ${level}`;
    },

    async notice(step, journal) {
      const room = roomOf(journal, step);
      // The transaction ID makes a repeated send the same event (the spec's idempotent send).
      const txnId = `wayfarer-migration-${journal.id}-${step.itemId}`.replace(/[^A-Za-z0-9._~-]/g, '_');
      const body = deps.noticeText?.(journal) ?? `${journal.source.userId} has moved to ${journal.target.userId}.`;
      const reply = await call<{ event_id: string }>(
        deps.fetch,
        journal.target,
        'PUT',
        `/_matrix/client/v3/rooms/${enc(room.roomId)}/send/m.room.message/${enc(txnId)}`,
        { msgtype: 'm.notice', body },
      );
      return reply.event_id;
    },

    async verify(step, journal) {
      const room = roomOf(journal, step);
      const item = journal.items.find((i) => i.id === step.itemId)!;
      if ((await targetMembership(deps, journal, room.roomId)) !== 'join')
        throw new Error(`${journal.target.serverName} does not list the room as joined`);
      if (item.action !== 'adopt' || !room.memberKey) return 'joined on the target';
      // The target's verdict on the link, then this browser's own check of the co-signature with the target's keys.
      const members = await call<MembersJson>(deps.fetch, journal.target, 'GET', `/_matrix/client/v3/rooms/${enc(room.roomId)}/members`);
      const info =
        members['org.matrix.msc4428.member_info']?.[`@${normaliseKey(room.memberKey)}`] ??
        members['org.matrix.msc4428.member_info']?.[room.memberKey];
      const byTarget = info?.['dev.wayfarer.link'];
      if (info?.user_id !== journal.target.userId || byTarget?.status !== 'verified') {
        throw new Error(
          `the target does not yet see your key linked to ${journal.target.userId} (${byTarget?.status ?? 'no link'}${byTarget?.reason ? `: ${byTarget.reason}` : ''})`,
        );
      }
      const memberEvent = await fetchMemberEvent(
        { fetch: deps.fetch, homeserverUrl: journal.target.baseUrl, accessToken: journal.target.accessToken },
        room.roomId,
        room.memberKey,
      );
      const verdict = await verifyLink({
        memberEvent,
        roomVersion: room.version,
        fetch: await fetchDomainKeys(deps.fetch, journal.target.serverName),
        nowMs: Date.now(),
      });
      if (verdict.status !== 'verified' || verdict.domain !== journal.target.serverName)
        throw new Error(`this browser could not verify the new link: ${verdict.reason}`);
      return `link verified by ${journal.target.serverName} and by this browser`;
    },

    async leave(step, journal) {
      const room = roomOf(journal, step);
      await call(deps.fetch, deps.source, 'POST', `/_matrix/client/v3/rooms/${enc(room.roomId)}/leave`, {
        reason: `Moved to ${journal.target.userId}`,
      });
      return 'left';
    },

    async profile(_step, journal) {
      const { displayname, avatarUrl } = journal.snapshot;
      const path = `/_matrix/client/v3/profile/${enc(journal.target.userId)}`;
      // Only what differs: a profile change makes a new member event in every joined room.
      const current = await call<{ displayname?: string; avatar_url?: string }>(deps.fetch, journal.target, 'GET', path).catch(
        (error: unknown) => {
          // An unreadable profile is copied over in full: writing the same name again changes nothing.
          log.debug(`could not read the profile on ${journal.target.serverName}; copying it in full`, error);
          return {} as { displayname?: string; avatar_url?: string };
        },
      );
      const changed: string[] = [];
      if (displayname !== undefined && current.displayname !== displayname) {
        await call(deps.fetch, journal.target, 'PUT', `${path}/displayname`, { displayname });
        changed.push('display name');
      }
      if (avatarUrl !== undefined && current.avatar_url !== avatarUrl) {
        // The avatar becomes the new server's own file: the profile no longer depends on the old server.
        const reuploaded = avatarUrl ? await reuploadAvatar(deps, journal, avatarUrl) : undefined;
        await call(deps.fetch, journal.target, 'PUT', `${path}/avatar_url`, { avatar_url: reuploaded ?? avatarUrl });
        changed.push(reuploaded && reuploaded !== avatarUrl ? 'avatar (uploaded again)' : 'avatar');
      }
      return changed.length > 0 ? `copied ${changed.join(' and ')}` : 'already the same';
    },

    async direct(_step, journal) {
      const held = movedRoomIds(journal);
      const direct = rewriteDirect(journal.snapshot.direct ?? {}, journal.source.userId, journal.target.userId, held);
      await call(deps.fetch, journal.target, 'PUT', `/_matrix/client/v3/user/${enc(journal.target.userId)}/account_data/m.direct`, direct);
      return `${Object.values(direct).flat().length} DMs`;
    },

    async tags(_step, journal) {
      const held = movedRoomIds(journal);
      let count = 0;
      for (const room of journal.snapshot.rooms) {
        if (!held.has(room.roomId)) continue;
        for (const [tag, value] of Object.entries(room.tags)) {
          await call(
            deps.fetch,
            journal.target,
            'PUT',
            `/_matrix/client/v3/user/${enc(journal.target.userId)}/rooms/${enc(room.roomId)}/tags/${enc(tag)}`,
            value ?? {},
          );
          count += 1;
        }
      }
      return `${count} tags`;
    },

    async 'push-rules'(_step, journal) {
      const rules = journal.snapshot.pushRules ?? [];
      const theirs = await call<{ global?: Record<string, { rule_id: string; enabled: boolean; actions: unknown[] }[]> }>(
        deps.fetch,
        journal.target,
        'GET',
        '/_matrix/client/v3/pushrules/',
      );
      let changed = 0;
      for (const rule of rules) {
        const base = `/_matrix/client/v3/pushrules/global/${rule.kind}/${enc(rule.ruleId)}`;
        const existing = theirs.global?.[rule.kind]?.find((r) => r.rule_id === rule.ruleId);
        if (!rule.isDefault && !existing) {
          await call(deps.fetch, journal.target, 'PUT', base, {
            actions: rule.actions,
            ...(rule.conditions ? { conditions: rule.conditions } : {}),
            ...(rule.pattern !== undefined ? { pattern: rule.pattern } : {}),
          });
          changed += 1;
        }
        if (!existing && rule.isDefault) continue; // the target has no such default: nothing to carry
        if (JSON.stringify(existing?.actions) !== JSON.stringify(rule.actions)) {
          await call(deps.fetch, journal.target, 'PUT', `${base}/actions`, { actions: rule.actions });
          changed += 1;
        }
        if ((existing?.enabled ?? true) !== rule.enabled) {
          await call(deps.fetch, journal.target, 'PUT', `${base}/enabled`, { enabled: rule.enabled });
          changed += 1;
        }
      }
      return `${changed} changes`;
    },

    async ignored(_step, journal) {
      const ignored = rewriteIgnored(journal.snapshot.ignoredUsers ?? [], journal.target.userId);
      await call(
        deps.fetch,
        journal.target,
        'PUT',
        `/_matrix/client/v3/user/${enc(journal.target.userId)}/account_data/m.ignored_user_list`,
        {
          ignored_users: Object.fromEntries(ignored.map((id) => [id, {}])),
        },
      );
      return `${ignored.length} users`;
    },
  };
  return (step, journal) => steps[step.kind](step, journal);
}

/**
 * Marks the old account moved (PROTOCOL.md §7 step 5). `prove` makes an account-key proof for the old server; the
 * first call without one yields the user-interactive-auth session to send it in. Marking again is a no-op.
 */
export async function markOldAccountMoved(
  givenFetch: Fetch,
  source: Endpoint,
  movedTo: string,
  /** The recovery-key proof, fetched through the same patient fetch (its challenge may be rate-limited too). */
  prove: (fetchImpl: Fetch) => Promise<Record<string, unknown>>,
  sleep?: (ms: number) => Promise<void>,
): Promise<void> {
  // The move's last step waits out a 429 like every other: it never fails because the old server asked to slow down.
  const fetchImpl = patientFetch(givenFetch, sleep ? { sleep } : {});
  const path = `${WAYFARER_CLIENT_PREFIX}/account/moved`;
  let session: string | undefined;
  try {
    await call(fetchImpl, source, 'POST', path, { moved_to: movedTo });
    return;
  } catch (error) {
    // Already marked (a first answer that got lost): the old server answers with where the account went.
    if (error instanceof MatrixHttpError && error.movedTo === movedTo) return;
    if (!(error instanceof MatrixHttpError) || error.httpStatus !== 401) throw error;
    session = typeof error.data.session === 'string' ? error.data.session : undefined;
  }
  await call(fetchImpl, source, 'POST', path, {
    moved_to: movedTo,
    auth: { ...(await prove(fetchImpl)), ...(session ? { session } : {}) },
  });
}
