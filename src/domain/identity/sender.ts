// "Who sent this": the ONE place every view asks. It delegates to the protocol's rule (PROTOCOL.md §5:
// sender_key, else the MSC4428 stable ID, else sender); the identity issue hangs names and badges off it.
import { senderIdentity as protocolSenderIdentity } from '../../protocol';

export interface SenderFields {
  sender?: string;
  sender_key?: string;
  unsigned?: Record<string, unknown>;
}

/** Never throws: an event with no usable sender at all (malformed) gets an empty identity and groups with nothing. */
export function senderIdentity(event: SenderFields): string {
  try {
    return protocolSenderIdentity(event);
  } catch {
    return '';
  }
}
