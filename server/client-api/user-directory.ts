// The user directory (POST /user_directory/search): local users, and remote users who share a joined room with
// the searcher. In member-key rooms a remote member counts only under a user ID its link proves (or its server
// vouches for): an unverified claim to be @bob:elsewhere never puts "bob" in anyone's search results.
import type { Homeserver } from '../homeserver';
import { isLocalUserId } from '../homeserver';
import { requireSession } from '../http/auth';
import { invalidParam } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, optionalInteger, requiredString } from '../http/validate';
import { RateLimiter } from '../http/rate-limit';
import { usesMemberKeys } from '../rooms/room-versions';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;
const MAX_TERM_LENGTH = 256;
/** Local matches read before ranking: enough for any page a client asks for, bounded for a one-letter term. */
const LOCAL_CANDIDATES = 200;

export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export function registerUserDirectory(router: Router, hs: Homeserver): void {
  const limiter = new RateLimiter({ burst: 30, perSecond: 5 });

  router.post('~/user_directory/search', async (ctx) => {
    const session = requireSession(hs, ctx);
    limiter.take(session.userId);
    const body = asObject(await ctx.json());
    const term = requiredString(body, 'search_term').trim();
    if (term.length > MAX_TERM_LENGTH) throw invalidParam(`search_term is longer than ${MAX_TERM_LENGTH} characters`);
    const requested = optionalInteger(body, 'limit') ?? DEFAULT_LIMIT;
    if (requested < 0) throw invalidParam('limit must not be negative');
    const limit = Math.min(requested, MAX_LIMIT);
    const matches = await searchUsers(hs, session.userId, term);
    return { limited: matches.length > limit, results: matches.slice(0, limit) };
  });
}

/** Everyone the term matches (user ID or display name, case-insensitive), best first: people you share a room with, then the rest. */
export async function searchUsers(hs: Homeserver, searcher: string, term: string): Promise<DirectoryUser[]> {
  const needle = term.toLowerCase();
  if (!needle) return [];
  const matches = (user: DirectoryUser) =>
    user.user_id.toLowerCase().includes(needle) || (user.display_name?.toLowerCase().includes(needle) ?? false);

  const shared = await usersSharingRooms(hs, searcher);
  const found = new Map<string, { user: DirectoryUser; sharesRoom: boolean }>();
  for (const user of shared.values()) {
    // Local users are described by their own profile below; a deactivated one is not found at all.
    if (isLocalUserId(hs, user.user_id)) continue;
    if (matches(user)) found.set(user.user_id, { user, sharesRoom: true });
  }
  for (const row of hs.accounts.searchUsers(needle, LOCAL_CANDIDATES)) {
    const user: DirectoryUser = { user_id: row.user_id };
    if (row.displayname) user.display_name = row.displayname;
    if (row.avatar_url) user.avatar_url = row.avatar_url;
    found.set(row.user_id, { user, sharesRoom: shared.has(row.user_id) });
  }
  const rank = (entry: { user: DirectoryUser; sharesRoom: boolean }) =>
    entry.user.user_id.toLowerCase() === needle || entry.user.user_id.toLowerCase() === `@${needle}` ? 0 : entry.sharesRoom ? 1 : 2;
  return [...found.values()]
    .sort((a, b) => rank(a) - rank(b) || (a.user.display_name ?? a.user.user_id).localeCompare(b.user.display_name ?? b.user.user_id))
    .map((entry) => entry.user);
}

/** The joined members of every room the searcher has joined, by user ID, with the profile their member event shows. */
async function usersSharingRooms(hs: Homeserver, searcher: string): Promise<Map<string, DirectoryUser>> {
  const roomIds = hs.events
    .membershipsOf(searcher)
    .filter((m) => m.membership === 'join')
    .map((m) => m.room_id);
  const memberKeyRooms = roomIds.filter((roomId) => usesMemberKeys(hs.rooms.versionOf(roomId)));
  if (memberKeyRooms.length > 0) await hs.links.ensureRooms(memberKeyRooms);
  const users = new Map<string, DirectoryUser>();
  for (const roomId of roomIds) {
    const memberKeys = usesMemberKeys(hs.rooms.versionOf(roomId));
    for (const event of hs.events.currentStateView(roomId).values()) {
      const pdu = event.pdu;
      if (pdu.type !== 'm.room.member' || pdu.content.membership !== 'join' || typeof pdu.state_key !== 'string') continue;
      const userId = memberKeys ? hs.links.memberInfo(roomId, pdu.state_key).user_id : pdu.state_key;
      if (!userId || users.has(userId)) continue;
      const user: DirectoryUser = { user_id: userId };
      if (typeof pdu.content.displayname === 'string' && pdu.content.displayname) user.display_name = pdu.content.displayname.slice(0, 256);
      if (typeof pdu.content.avatar_url === 'string' && pdu.content.avatar_url.startsWith('mxc://'))
        user.avatar_url = pdu.content.avatar_url;
      users.set(userId, user);
    }
  }
  return users;
}
