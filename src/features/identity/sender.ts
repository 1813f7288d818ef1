// "Who sent this": the ONE place every view asks. Today it is PROTOCOL.md §5's rule (sender_key, else
// the MSC4428 stable ID, else sender); the identity issue points display names and badges at it.

export interface SenderFields {
  sender?: string;
  sender_key?: string;
  unsigned?: Record<string, unknown>;
}

const stableIdField = 'org.matrix.msc4428.stable_id';

/** Member keys come as standard base64 (sender_key) or `@` + URL-safe base64 (stable ID): one form for both. */
function normaliseMemberKey(key: string): string {
  const urlSafe = key.replace(/^@/, '').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `@${urlSafe}`;
}

export function senderIdentity(event: SenderFields): string {
  if (typeof event.sender_key === 'string' && event.sender_key !== '') return normaliseMemberKey(event.sender_key);
  const stable = event.unsigned?.[stableIdField];
  if (typeof stable === 'string' && stable !== '') return normaliseMemberKey(stable);
  return event.sender ?? '';
}
