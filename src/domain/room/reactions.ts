// Reactions (m.reaction, rel_type m.annotation) folded into the messages they annotate. Pure: the row model
// calls this like it folds edits. Reactors are identities (member keys), never handles: the key is the person.
import type { TimelineEvent } from './timeline';
import { msg, type Message } from '../../i18n';

/** The quick reactions offered by the React menu, Element's first row. */
export const quickReactions = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

export interface Reactor {
  identity: string;
  /** The raw sender (a user ID), for names. */
  sender: string;
  /** This reactor's reaction event (or transaction ID while a local echo is unsent): what a toggle-off redacts. */
  eventId: string;
  status: TimelineEvent['status'];
}

export interface ReactionGroup {
  key: string;
  /** Distinct identities, in the order they first reacted with this key. */
  reactors: Reactor[];
}

/** The target and key of a live annotation, or undefined for anything else (malformed, redacted, failed). */
export function annotationOf(event: TimelineEvent): { target: string; key: string } | undefined {
  if (event.type !== 'm.reaction' || event.redacted || event.status === 'failed') return undefined;
  const rel = event.content['m.relates_to'];
  if (typeof rel !== 'object' || rel === null) return undefined;
  const { rel_type: relType, event_id: target, key } = rel as Record<string, unknown>;
  if (relType !== 'm.annotation' || typeof target !== 'string' || typeof key !== 'string' || key === '') return undefined;
  return { target, key };
}

/**
 * Reaction groups per target event ID. Keys are ordered by their first reaction and reactors by when they
 * first reacted; one identity reacting twice with one key counts once (its first event is the one to redact).
 */
export function aggregateReactions(events: readonly TimelineEvent[]): Map<string, ReactionGroup[]> {
  const byTarget = new Map<string, Map<string, ReactionGroup>>();
  const ordered = events
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => annotationOf(event) !== undefined)
    // Timeline order already; local echoes come last. Stable sort on ts keeps ties in timeline order.
    .sort((a, b) => a.event.ts - b.event.ts || a.index - b.index);
  for (const { event } of ordered) {
    const { target, key } = annotationOf(event)!;
    let groups = byTarget.get(target);
    if (!groups) byTarget.set(target, (groups = new Map()));
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, reactors: [] }));
    if (group.reactors.some((r) => r.identity === event.identity)) continue;
    group.reactors.push({ identity: event.identity, sender: event.sender, eventId: event.id, status: event.status });
  }
  const out = new Map<string, ReactionGroup[]>();
  for (const [target, groups] of byTarget) out.set(target, [...groups.values()]);
  return out;
}

/** The reactor that is `identity` in a group, if any: pressed state and what to redact. */
export function ownReaction(group: ReactionGroup, identity: string): Reactor | undefined {
  return group.reactors.find((r) => r.identity === identity);
}

/** "👍 2 reactions: alice, bob — press to remove yours" (or "add yours"): the pill's accessible name. */
export function reactionLabel(key: string, names: readonly string[], mine: boolean): Message {
  return msg('chat.reactions.summary', { key, count: names.length, names: names.join(', '), mine: mine ? 'yes' : 'no' });
}
