// Which thread an event is in (spec: Threading; MSC3771/MSC3773). A reply with rel_type m.thread is in its root's
// thread; an event relating to an event in a thread (an edit or a reaction to a reply) is in that thread too; a
// root and everything else is in the main timeline. Used to count notifications per thread and to check threaded receipts.
import { relationOf } from '../storage/relations';

/** The receipts' and counts' name for the main timeline. */
export const MAIN_THREAD = 'main';

/** The root event ID of the thread the content's event is in, or undefined for the main timeline. */
export function threadRootOf(
  content: Record<string, unknown>,
  contentOf: (eventId: string) => Record<string, unknown> | undefined,
): string | undefined {
  const relation = relationOf(content);
  if (!relation) return undefined;
  if (relation.relType === 'm.thread') return relation.relatesTo;
  // One hop: the parent of an edit or a reaction is a reply (in a thread) or a main-timeline event.
  const parent = contentOf(relation.relatesTo);
  const parentRelation = parent ? relationOf(parent) : undefined;
  return parentRelation?.relType === 'm.thread' ? parentRelation.relatesTo : undefined;
}
