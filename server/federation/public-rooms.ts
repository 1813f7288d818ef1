// Another server's published room directory, fetched for a client's `/publicRooms?server=…` through the federation
// `/publicRooms`. The answer is untrusted: it arrives under a deadline and a size cap, and only well-formed entries
// of bounded size are passed on (at most the page the client asked for), so a hostile server can neither hang the
// request, flood the client, nor smuggle odd fields into it.
import type { FederationClient } from './client';
import { FederationError } from './client';
import { MatrixError } from '../http/errors';

export const REMOTE_DIRECTORY_MAX_BYTES = 1024 * 1024;
/** The most rooms one page may hold, whatever was asked. */
export const MAX_DIRECTORY_PAGE = 100;

export interface DirectoryQuery {
  limit?: number;
  since?: string;
  term?: string;
  roomTypes?: (string | null)[];
}

type Json = Record<string, unknown>;

export async function remotePublicRooms(client: FederationClient, server: string, query: DirectoryQuery, timeoutMs: number): Promise<Json> {
  const limit = Math.min(query.limit ?? MAX_DIRECTORY_PAGE, MAX_DIRECTORY_PAGE);
  const options = { timeoutMs, maxBytes: REMOTE_DIRECTORY_MAX_BYTES };
  let answer: unknown;
  try {
    if (query.term === undefined && query.roomTypes === undefined) {
      const params = new URLSearchParams({ limit: String(limit) });
      if (query.since !== undefined) params.set('since', query.since);
      answer = await client.request(server, 'GET', `/_matrix/federation/v1/publicRooms?${params}`, options);
    } else {
      const filter: Json = {};
      if (query.term !== undefined) filter.generic_search_term = query.term;
      if (query.roomTypes !== undefined) filter.room_types = query.roomTypes;
      const body: Json = { limit, filter };
      if (query.since !== undefined) body.since = query.since;
      answer = await client.request(server, 'POST', '/_matrix/federation/v1/publicRooms', { ...options, body });
    }
  } catch (error) {
    if (error instanceof FederationError)
      throw new MatrixError(502, 'M_UNKNOWN', `Could not list the rooms of ${server}: ${error.message}`);
    throw error;
  }
  return sanitisePublicRooms(answer, limit, server);
}

/** Control characters other than tab and newline (a name or token carrying them is refused). */
const hasControlCharacters = (value: string) => [...value].some((c) => c < ' ' && c !== '\n' && c !== '\t');

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !hasControlCharacters(value) ? value : undefined;

/** The directory page as a client may see it: the spec's shape, bounded, or 502 when it is no directory at all. */
export function sanitisePublicRooms(answer: unknown, limit: number, server: string): Json {
  if (typeof answer !== 'object' || answer === null || !Array.isArray((answer as Json).chunk))
    throw new MatrixError(502, 'M_UNKNOWN', `${server} answered with something that is not a room directory`);
  const raw = answer as Json;
  const chunk: Json[] = [];
  for (const entry of raw.chunk as unknown[]) {
    if (chunk.length >= limit) break;
    const room = sanitiseRoom(entry);
    if (room) chunk.push(room);
  }
  const out: Json = { chunk };
  const total = raw.total_room_count_estimate;
  if (Number.isSafeInteger(total) && (total as number) >= 0) out.total_room_count_estimate = total;
  const next = text(raw.next_batch, 256);
  if (next !== undefined) out.next_batch = next;
  const prev = text(raw.prev_batch, 256);
  if (prev !== undefined) out.prev_batch = prev;
  return out;
}

function sanitiseRoom(entry: unknown): Json | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Json;
  const roomId = text(e.room_id, 255);
  if (!roomId || !/^![^\s]+$/.test(roomId)) return undefined;
  const members = e.num_joined_members;
  const room: Json = {
    room_id: roomId,
    num_joined_members: Number.isSafeInteger(members) && (members as number) >= 0 ? members : 0,
    world_readable: e.world_readable === true,
    guest_can_join: e.guest_can_join === true,
  };
  const name = text(e.name, 255);
  if (name !== undefined) room.name = name;
  const topic = typeof e.topic === 'string' ? text(e.topic.slice(0, 1000), 1000) : undefined;
  if (topic !== undefined) room.topic = topic;
  const alias = text(e.canonical_alias, 255);
  if (alias !== undefined && /^#[^:\s]+:\S+$/.test(alias)) room.canonical_alias = alias;
  const avatar = text(e.avatar_url, 255);
  if (avatar !== undefined && /^mxc:\/\/[^/\s]+\/[^\s]+$/.test(avatar)) room.avatar_url = avatar;
  const joinRule = text(e.join_rule, 64);
  if (joinRule !== undefined) room.join_rule = joinRule;
  const roomType = text(e.room_type, 255);
  if (roomType !== undefined) room.room_type = roomType;
  return room;
}
