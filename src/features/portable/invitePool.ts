// The invite-key pool of a portable account (PROTOCOL.md §5): public member keys derived from K with random nonces,
// uploaded ahead of time, so that an invite made while this device is away still names a key the recovery key can
// make again. Topped up to POOL_TARGET whenever the server reports fewer than POOL_LOW; only public keys leave.
import {
  deriveInviteMemberKey,
  encodeBase64,
  generateInviteKeyNonce,
  MEMBER_KEY_NONCE_UNSIGNED_FIELD,
  MEMBER_KEYS_COUNT_FIELD,
  MEMBER_SEED_FIELD,
  WAYFARER_CLIENT_PREFIX,
} from '../../protocol';
import { homeserverFetch } from '../../matrix/http';
import { logger } from '../../platform/logger';

const log = logger('portable');

export const POOL_TARGET = 20;
export const POOL_LOW = 5;

export interface PoolEndpoint {
  baseUrl: string;
  accessToken: string;
}

/** The upload body for `count` fresh keys: nonce → public key (unpadded standard base64). */
export function freshPoolKeys(memberRoot: Uint8Array, count: number): Record<string, string> {
  const keys: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const nonce = generateInviteKeyNonce();
    keys[nonce] = encodeBase64(deriveInviteMemberKey(memberRoot, nonce).publicKey);
  }
  return keys;
}

async function upload(endpoint: PoolEndpoint, keys: Record<string, string>, fetchImpl: typeof fetch): Promise<number> {
  const reply = await homeserverFetch<{ count?: unknown }>(
    `${endpoint.baseUrl.replace(/\/$/, '')}${WAYFARER_CLIENT_PREFIX}/member_keys/upload`,
    {
      method: 'POST',
      accessToken: endpoint.accessToken,
      body: { keys },
      fetch: fetchImpl,
    },
  );
  return typeof reply.count === 'number' ? reply.count : 0;
}

/**
 * Tops the pool up to POOL_TARGET when it holds fewer than POOL_LOW (`known`: the count /sync reported; asked of
 * the server when absent). Returns the count afterwards.
 */
export async function topUpInvitePool(
  endpoint: PoolEndpoint,
  memberRoot: Uint8Array,
  known?: number,
  fetchImpl: typeof fetch = fetch,
): Promise<number> {
  const count = known ?? (await upload(endpoint, {}, fetchImpl));
  if (count >= POOL_LOW) return count;
  return upload(endpoint, freshPoolKeys(memberRoot, POOL_TARGET - count), fetchImpl);
}

/** The pool count a /sync body reports, if any (servers without the pool say nothing). */
export function poolCountOf(syncBody: Record<string, unknown>): number | undefined {
  const count = syncBody[MEMBER_KEYS_COUNT_FIELD];
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}

/**
 * Follows /sync's count and tops the pool up with the remembered K (`loadRoot`), one upload at a time and at most
 * once a minute after a failure. Without a remembered K nothing happens here: the pool is filled whenever the
 * recovery key is entered (sign-in, joining, accepting an invite).
 */
export function invitePoolFollower(
  endpoint: PoolEndpoint,
  loadRoot: () => Promise<Uint8Array | undefined>,
  fetchImpl: typeof fetch = fetch,
): (syncBody: Record<string, unknown>) => void {
  let running = false;
  let quietUntil = 0;
  return (syncBody) => {
    const count = poolCountOf(syncBody);
    if (count === undefined || count >= POOL_LOW || running || Date.now() < quietUntil) return;
    running = true;
    void (async () => {
      try {
        const root = await loadRoot();
        if (root) await topUpInvitePool(endpoint, root, count, fetchImpl);
      } catch (error) {
        quietUntil = Date.now() + 60_000;
        log.warn('could not top up the invite-key pool; trying again later', error);
      } finally {
        running = false;
      }
    })();
  };
}

/** The nonce an invite names for its member key (only its invitee sees it), from the invite member event's unsigned. */
export function inviteKeyNonceOf(unsigned: Record<string, unknown> | undefined): string | undefined {
  const nonce = unsigned?.[MEMBER_KEY_NONCE_UNSIGNED_FIELD];
  return typeof nonce === 'string' && nonce.length > 0 ? nonce : undefined;
}

/** Body fields for accepting an invite that took a pool key: the seed derived from K and the invite's nonce. */
export function inviteSeedFields(memberRoot: Uint8Array, nonce: string): { [MEMBER_SEED_FIELD]: string } {
  return { [MEMBER_SEED_FIELD]: encodeBase64(deriveInviteMemberKey(memberRoot, nonce).seed) };
}
