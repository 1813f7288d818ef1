// Inbound EDUs: typing notices and read receipts, each about one joined member of the sending server.
import { authKey } from '../rooms/authorization';
import type { Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import type { EventStore } from '../storage/events';
import type { ReceiptStore } from '../storage/receipts';
import type { Notifier } from '../sync/notifier';
import type { TypingTracker } from '../sync/typing';
import { type Json, memberDomain } from './pdu-rules';
import type { ServerAclCache } from './server-acl';

export interface InboundEdusDeps {
  events: EventStore;
  typing: TypingTracker;
  receipts: ReceiptStore;
  notifier: Notifier;
  serverAcls: ServerAclCache;
}

export class InboundEdus {
  /** EDUs of other modules (E2EE's to-device and device lists), by type. */
  private readonly handlers = new Map<string, (origin: string, content: Json) => void>();
  private readonly events: EventStore;
  private readonly typing: TypingTracker;
  private readonly receipts: ReceiptStore;
  private readonly notifier: Notifier;
  private readonly serverAcls: ServerAclCache;

  constructor(deps: InboundEdusDeps) {
    ({ events: this.events, typing: this.typing, receipts: this.receipts, notifier: this.notifier, serverAcls: this.serverAcls } = deps);
  }

  /**
   * Typing notices and read receipts from `origin`. Each is about one user in one room, and is dropped unless that
   * user is a joined member of the room whose server is `origin` (and the room lets `origin` in: ACL). Other modules
   * register handlers for their EDU types (handle()); unknown types (presence) are dropped.
   */
  handle(type: string, handler: (origin: string, content: Json) => void): void {
    this.handlers.set(type, handler);
  }

  receiveEdu(origin: string, edu: unknown): void {
    if (typeof edu !== 'object' || edu === null) return;
    const { edu_type: type, content } = edu as { edu_type?: unknown; content?: unknown };
    if (typeof content !== 'object' || content === null || Array.isArray(content)) return;
    const handler = typeof type === 'string' ? this.handlers.get(type) : undefined;
    if (handler) {
      try {
        handler(origin, content as Json);
      } catch (error) {
        console.error(`EDU ${type} from ${origin} failed:`, error);
      }
      return;
    }
    if (type === 'm.typing') {
      const { room_id: roomId, user_id: userId, typing } = content as Json;
      if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof typing !== 'boolean') return;
      if (!this.isJoinedMemberOf(roomId, userId, origin)) return;
      this.typing.set(roomId, userId, typing, 30_000);
    } else if (type === 'm.receipt') {
      for (const [roomId, byType] of Object.entries(content as Json)) {
        if (typeof byType !== 'object' || byType === null) continue;
        const reads = (byType as Json)['m.read'];
        if (typeof reads !== 'object' || reads === null) continue;
        for (const [userId, receipt] of Object.entries(reads as Json)) {
          const eventIds = (receipt as { event_ids?: unknown } | null)?.event_ids;
          if (!Array.isArray(eventIds) || typeof eventIds[0] !== 'string') continue;
          if (this.events.event(eventIds[0])?.roomId !== roomId) continue; // a receipt names an event of its room
          if (!this.isJoinedMemberOf(roomId, userId, origin)) continue;
          // A threaded receipt ('main' or a root's event ID) keeps its thread; anything else is unthreaded.
          const threadId = (receipt as { data?: { thread_id?: unknown } }).data?.thread_id;
          const thread = typeof threadId === 'string' && threadId.length <= 255 ? threadId : '';
          this.receipts.put(roomId, userId, 'm.read', thread, eventIds[0]);
        }
      }
      this.notifier.notify();
    }
  }

  /**
   * Is `userId` a joined member of the room, on server `origin`? Classic rooms: its member event is `join` and its
   * user ID is on `origin`. Member-key rooms (EDUs name users by user ID, as this server sends them; a member key is
   * taken too): a joined member event whose claim (`localpart`, `domain`) is that user ID, with `domain` = `origin`.
   */
  private isJoinedMemberOf(roomId: string, userId: string, origin: string): boolean {
    const room = this.events.room(roomId);
    if (!room || !this.serverAcls.allows(roomId, origin)) return false;
    const state = this.events.currentState(roomId);
    const joined = (member: Pdu | undefined) =>
      member?.type === 'm.room.member' && member.content.membership === 'join' && memberDomain(room.room_version, member) === origin;
    if (!usesMemberKeys(room.room_version) || !userId.includes(':')) return joined(state.get(authKey('m.room.member', userId))?.pdu);
    const colon = userId.indexOf(':');
    const [localpart, domain] = [userId.slice(1, colon), userId.slice(colon + 1)];
    if (domain !== origin) return false;
    for (const { pdu } of state.values())
      if (pdu.type === 'm.room.member' && pdu.content.localpart === localpart && joined(pdu)) return true;
    return false;
  }
}
