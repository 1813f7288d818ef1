// Mentions autocomplete, resolved through identity like every other place that shows a person: one candidate
// per key, named by display name, with the handle or the badge that replaces it. An unverified claim is never
// matched or shown as a handle; a verified handle is.
import type { Badge } from '../../domain/identity/badge';

export type MentionCandidate = { identity: string; userId: string; name: string; badge: Badge };

/** The `@query` being typed just before the caret, or undefined. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]{0,40})$/u.exec(before);
  if (!match) return undefined;
  return { start: caret - match[2]!.length - 1, query: match[2]! };
}

function searchable(candidate: MentionCandidate): string[] {
  const texts = [candidate.name];
  if (candidate.badge.kind === 'verified' || candidate.badge.kind === 'plain') texts.push(candidate.badge.handle.slice(1));
  return texts.map((t) => t.toLocaleLowerCase());
}

/** Candidates whose name (or verified handle) starts a word with the query; at most `limit`, best first. */
export function matchMentions(candidates: readonly MentionCandidate[], query: string, limit = 8): MentionCandidate[] {
  const q = query.toLocaleLowerCase();
  const scored: { candidate: MentionCandidate; score: number }[] = [];
  for (const candidate of candidates) {
    const texts = searchable(candidate);
    const score = texts.some((t) => t.startsWith(q)) ? 0 : texts.some((t) => t.split(/[\s:._-]+/u).some((w) => w.startsWith(q))) ? 1 : -1;
    if (score >= 0) scored.push({ candidate, score });
  }
  scored.sort((a, b) => a.score - b.score || a.candidate.name.localeCompare(b.candidate.name));
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** The composer text with the `@query` replaced by a mention link (a pill in every client) and a space. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  candidate: Pick<MentionCandidate, 'name' | 'userId'>,
): { text: string; caret: number } {
  const label = candidate.name.replace(/[[\]\\]/g, '\\$&');
  const link = `[${label}](https://matrix.to/#/${candidate.userId}) `;
  return { text: text.slice(0, start) + link + text.slice(caret), caret: start + link.length };
}

/** A room the composer can link to with `#`: its canonical alias when it has one. */
export type RoomCandidate = { roomId: string; alias?: string; name: string };

/** The `#query` being typed just before the caret, or undefined. */
export function roomMentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const match = /(^|\s)#([^\s#]{0,40})$/u.exec(text.slice(0, caret));
  if (!match) return undefined;
  return { start: caret - match[2]!.length - 1, query: match[2]! };
}

/** Rooms whose name or alias starts a word with the query; at most `limit`, best first. */
export function matchRooms(rooms: readonly RoomCandidate[], query: string, limit = 8): RoomCandidate[] {
  const q = query.toLocaleLowerCase();
  const scored: { room: RoomCandidate; score: number }[] = [];
  for (const room of rooms) {
    const texts = [room.name, room.alias?.slice(1) ?? ''].map((x) => x.toLocaleLowerCase());
    const score = texts.some((x) => x.startsWith(q)) ? 0 : texts.some((x) => x.split(/[\s:._-]+/u).some((w) => w.startsWith(q))) ? 1 : -1;
    if (score >= 0) scored.push({ room, score });
  }
  scored.sort((a, b) => a.score - b.score || a.room.name.localeCompare(b.room.name));
  return scored.slice(0, limit).map((s) => s.room);
}

/** The composer text with the `#query` replaced by a link to the room (its alias, else its ID with a via). */
export function insertRoomMention(
  text: string,
  start: number,
  caret: number,
  room: RoomCandidate,
  via: string,
): { text: string; caret: number } {
  const label = (room.alias ?? room.name).replace(/[[\]\\]/g, '\\$&');
  const target = room.alias ?? `${room.roomId}?via=${encodeURIComponent(via)}`;
  const link = `[${label}](https://matrix.to/#/${target}) `;
  return { text: text.slice(0, start) + link + text.slice(caret), caret: start + link.length };
}

/** The composer text with the `@query` replaced by `@room` (everyone in the room is notified). */
export function insertAtRoom(text: string, start: number, caret: number): { text: string; caret: number } {
  return { text: `${text.slice(0, start)}@room ${text.slice(caret)}`, caret: start + 6 };
}
