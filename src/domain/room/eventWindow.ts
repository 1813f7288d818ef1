// A window of a room's history anchored at one event, away from the live end: what a permalink or a search result
// opens when its event is not in the loaded live timeline, however far back. /context fills it around the event;
// /messages pages it older and newer. Once a newer page reaches an event the live timeline holds, the window has
// joined the live end: from there on it shows the live timeline's events after that point, new ones included.
// (matrix-js-sdk's timelineSupport does the same with linked timelines, but changes how a gappy sync treats the
// live timeline for the whole app; this keeps the live timeline as it is and the window to the one view.)
import { Direction, Method, type IContextResponse, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';

/** Events /context asks for around the anchor (half before, half after). */
export const contextLimit = 30;
/** Events per page older or newer. */
export const pageLimit = 50;

export class EventWindow {
  private constructor(
    private readonly client: MatrixClient,
    private readonly room: Room,
    readonly eventId: string,
    /** Oldest first. */
    private events: MatrixEvent[],
    /** Where an older page starts; null at the room's beginning. */
    private startToken: string | null,
    /** Where a newer page starts; null once joined. */
    private endToken: string | null,
  ) {}

  private joinedLive = false;

  /** The window around `eventId` (rejects like /context: 404 for an event that isn't there or isn't visible). */
  static async open(client: MatrixClient, room: Room, eventId: string, limit = contextLimit): Promise<EventWindow> {
    const path = `/rooms/${encodeURIComponent(room.roomId)}/context/${encodeURIComponent(eventId)}`;
    const res = await client.http.authedRequest<IContextResponse>(Method.Get, path, { limit: String(limit) });
    if (!res?.event) throw new Error('the server sent no event in its /context answer');
    const map = client.getEventMapper();
    const before = (res.events_before ?? []).map(map).reverse(); // newest first on the wire
    const window = new EventWindow(client, room, eventId, [...before, map(res.event)], res.start ?? null, null);
    window.addNewer((res.events_after ?? []).map(map), res.end ?? null);
    return window;
  }

  /** The window's events, and once joined the live timeline's after them: oldest first. */
  get sdkEvents(): MatrixEvent[] {
    if (!this.joinedLive) return this.events;
    const live = this.room.getLiveTimeline().getEvents();
    const mine = new Set(this.events.map((e) => e.getId()));
    let after = 0;
    for (let i = live.length - 1; i >= 0; i--) {
      if (mine.has(live[i]!.getId())) {
        after = i + 1;
        break;
      }
    }
    return [...this.events, ...live.slice(after).filter((e) => !mine.has(e.getId()))];
  }

  get canLoadOlder(): boolean {
    return this.startToken !== null;
  }

  /** Still away from the live end: newer history is there to page in. */
  get canLoadNewer(): boolean {
    return !this.joinedLive;
  }

  get joined(): boolean {
    return this.joinedLive;
  }

  has(eventId: string): boolean {
    return this.sdkEvents.some((e) => e.getId() === eventId);
  }

  async loadOlder(limit = pageLimit): Promise<void> {
    if (this.startToken === null) return;
    const res = await this.client.createMessagesRequest(this.room.roomId, this.startToken, limit, Direction.Backward);
    const map = this.client.getEventMapper();
    const known = new Set(this.events.map((e) => e.getId()));
    const older = res.chunk
      .map(map)
      .filter((e) => !known.has(e.getId()))
      .reverse();
    this.events = [...older, ...this.events];
    this.startToken = res.chunk.length > 0 && res.end ? res.end : null;
  }

  async loadNewer(limit = pageLimit): Promise<void> {
    if (this.joinedLive) return;
    const res = await this.client.createMessagesRequest(this.room.roomId, this.endToken, limit, Direction.Forward);
    this.addNewer(res.chunk.map(this.client.getEventMapper()), res.chunk.length > 0 ? (res.end ?? null) : null);
  }

  /** Appends newer events up to the first one the live timeline holds; there (or at the present) the window joins it. */
  private addNewer(newer: MatrixEvent[], end: string | null): void {
    const live = new Set(
      this.room
        .getLiveTimeline()
        .getEvents()
        .map((e) => e.getId()),
    );
    const known = new Set(this.events.map((e) => e.getId()));
    // The anchor itself may already be live (the live timeline grew back to it meanwhile).
    if (this.events.some((e) => live.has(e.getId()))) this.joinedLive = true;
    for (const event of newer) {
      if (this.joinedLive || live.has(event.getId())) {
        this.joinedLive = true;
        break;
      }
      if (!known.has(event.getId())) this.events.push(event);
    }
    this.endToken = end;
    if (end === null) this.joinedLive = true;
  }
}
