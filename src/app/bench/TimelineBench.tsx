// bench/timeline.html?events=N (the bench build only): the real ChatView on a real matrix-js-sdk Room filled with N events, no
// server involved, timed from "sync data ready" to the first painted timeline. Read by bench/client.bench.ts.
// `window.__timelineBenchIncoming(n)`: n more events arrive one at a time through the app's path (raw JSON → SDK room →
// room view model → React), each timed from its arrival to the frame that paints its row.
// `&loaded=M`: only the newest M messages are in the room; older ones come through the SDK's real
// back-pagination from an in-page `/messages` (e2e/timeline-scroll.spec.ts measures the reader's place
// while they load; `window.__timelineBenchMessages.hold()` keeps the next response until `release()`).
import { useLayoutEffect, useState } from 'react';
import { createClient, Direction, Room, RoomEvent, PendingEventOrdering, type MatrixClient } from 'matrix-js-sdk';
import { bindClient } from '../../domain/bindings';
import { ClientContext } from '../../ui/clientContext';
import ChatView from '../../features/chat/ChatView';
import { chatStore } from '../../state/chatStore';
import { generateRoomEvents } from './generateRoom';
import { findEventsFromTheNewest } from '../../matrix/timelineLookups';

export interface TimelineBenchResult {
  events: number;
  /** Raw events → matrix-js-sdk Room (what the SDK does with a sync response). */
  sdkMs: number;
  /** Room ready → first painted timeline (our rows, virtualiser, React, layout, paint). */
  renderMs: number;
  /** Sync data ready → first painted timeline. */
  totalMs: number;
  renderedRows: number;
}

declare global {
  interface Window {
    __timelineBench?: TimelineBenchResult;
    __timelineBenchScroll?: () => Promise<{ frames: number; p50: number; p95: number; max: number }>;
    __timelineBenchMessages?: { hold(): void; release(): void; served: number };
    __timelineBenchIncoming?: (count: number) => Promise<number[]>;
    /** Where each incoming event's time went, for the last `__timelineBenchIncoming` call. */
    __timelineBenchIncomingParts?: IncomingParts[];
    __timelineBenchFloor?: (count: number) => Promise<{ unchanged: number; oneLine: number }>;
  }
}

const roomId = '!bench:bench.localhost';
const me = '@alice:bench.localhost';

interface Prepared {
  client: MatrixClient;
  room: Room;
  t0: number;
  tRoom: number;
  lastTs: number;
}

async function prepare(count: number, loaded?: number): Promise<Prepared> {
  findEventsFromTheNewest(); // as createSessionClient does
  const raw = generateRoomEvents(roomId, count);
  const rawMessages = raw.filter((e) => e.state_key === undefined);
  // Nothing listens on this port: the bench never talks to a server; `/messages` is answered in-page.
  const client = createClient({
    baseUrl: 'http://127.0.0.1:9',
    userId: me,
    accessToken: 'bench',
    deviceId: 'BENCH',
    fetchFn: (input, init) => answerMessages(rawMessages, input, init),
  });
  const t0 = performance.now(); // the events are in hand, as after /sync and /messages responses
  const room = new Room(roomId, client, me, { pendingEventOrdering: PendingEventOrdering.Detached });
  const mapper = client.getEventMapper();
  const events = raw.map((e) => mapper(e));
  // The way a long history reaches the SDK: state and the newest page from /sync, the rest from
  // back-pagination (/messages), newest first.
  const state = events.filter((e) => e.isState());
  const messages = events.filter((e) => !e.isState());
  room.getLiveTimeline().initialiseState(state);
  const first = loaded === undefined ? 0 : Math.max(0, messages.length - loaded);
  const live = Math.min(30, messages.length - first);
  await room.addLiveEvents(messages.slice(-live), { addToState: false });
  room.addEventsToTimeline(messages.slice(first, -live).reverse(), true, false, room.getLiveTimeline());
  // The whole history is loaded, or the rest is one back-pagination token away.
  room.getLiveTimeline().setPaginationToken(first > 0 ? `before_${first}` : null, Direction.Backward);
  client.store.storeRoom(room);
  // As the SDK's sync does for each room, and the app's bindings: older pages re-render the timeline.
  client.reEmitter.reEmit(room, [RoomEvent.Timeline, RoomEvent.TimelineReset]);
  bindClient(client, chatStore, () => undefined);
  const tRoom = performance.now();
  return { client, room, t0, tRoom, lastTs: raw.at(-1)?.origin_server_ts ?? Date.now() };
}

export default function TimelineBench({ count, loaded }: { count: number; loaded?: number }) {
  const [ready, setReady] = useState<Prepared>();
  useLayoutEffect(() => {
    void prepare(count, loaded).then(setReady);
  }, [count, loaded]);
  useLayoutEffect(() => {
    if (!ready) return;
    // After React commits, the next frame's paint is the first painted timeline.
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const tPaint = performance.now();
        window.__timelineBench = {
          events: count,
          sdkMs: ready.tRoom - ready.t0,
          renderMs: tPaint - ready.tRoom,
          totalMs: tPaint - ready.t0,
          renderedRows: document.querySelectorAll('[role="log"] [data-index]').length,
        };
      };
      channel.port2.postMessage(null);
    });
    window.__timelineBenchScroll = () => scrollThrough();
    window.__timelineBenchIncoming = (n) => timeIncoming(ready, n);
    window.__timelineBenchFloor = (n) => timeFloor(n);
  }, [ready, count]);
  if (!ready) return <p role="status">Preparing {count} events…</p>;
  return (
    <ClientContext.Provider value={ready.client}>
      <div className="flex h-dvh">
        <ChatView roomId={roomId} />
      </div>
    </ClientContext.Provider>
  );
}

let incoming = 0;

/** One incoming event's time, split where the work changes hands (ms from its arrival). */
export interface IncomingParts {
  /** `room.addLiveEvents` done: the SDK's work, and the view model and React render it triggers (in its microtasks). */
  sdk: number;
  /** Its row is in the DOM: the room view model's rebuild and React's commit. */
  dom: number;
  /** The frame that shows it has painted: style, layout, resize observers, paint. */
  painted: number;
  /** Frames waited for the row after the one it arrived in (0: it made its first frame). */
  framesLate: number;
}

/**
 * Events arriving one at a time, as a live /sync delivers them: each is mapped from raw JSON and added to the SDK room
 * at the start of a frame; the room view model turns it into a row, React commits it, and the time is taken when
 * that frame has painted (a message posted at the event's arrival is delivered in the first task after the frame's
 * paint and commit; see afterThisFrame). A row that misses the frame is waited for frame by frame, and the wait counts.
 */
async function timeIncoming(ready: Prepared, count: number): Promise<number[]> {
  const mapper = ready.client.getEventMapper();
  const times: number[] = [];
  const parts: IncomingParts[] = [];
  window.__timelineBenchIncomingParts = parts;
  for (let i = 0; i < count; i++) {
    incoming++;
    ready.lastTs += 20_000;
    const raw = {
      event_id: `$incoming${incoming}:bench.localhost`,
      type: 'm.room.message',
      sender: incoming % 2 ? '@bob:bench.localhost' : '@carol:bench.localhost',
      origin_server_ts: ready.lastTs,
      content: { msgtype: 'm.text', body: `Incoming message ${incoming}` },
      room_id: ready.room.roomId,
    };
    await new Promise((resolve) => setTimeout(resolve, 30)); // the previous event's work is done
    const arrived = await new Promise<IncomingParts>((resolve) => requestAnimationFrame(() => void arrive(raw).then(resolve)));
    parts.push(arrived);
    times.push(arrived.painted);
  }
  return times;

  async function arrive(raw: { event_id: string; room_id: string }): Promise<IncomingParts> {
    performance.mark('incoming-start'); // for a trace's reader: where each event's window begins and ends (outside it)
    const t0 = performance.now();
    // Posted before anything else is queued: delivered in the first task after this frame, which has then painted.
    const frameEnd = afterThisFrame();
    await ready.room.addLiveEvents([mapper(raw)], { addToState: false });
    const sdk = performance.now() - t0;
    const selector = `[data-event-id="${CSS.escape(raw.event_id)}"]`;
    // Looked for in the timeline only: the bench's own query is timed with the event, so it searches no more than it must.
    const log = document.querySelector('[role="log"]') ?? document;
    // React renders a store change in a microtask; if the row is not in this frame, wait for the frames it takes.
    for (let i = 0; i < 100 && !log.querySelector(selector); i++) await Promise.resolve();
    let framesLate = 0;
    for (; !log.querySelector(selector); framesLate++) await new Promise(requestAnimationFrame);
    const dom = performance.now() - t0;
    // In this frame: it ends when this frame has painted. A row that missed it is timed to the end of the frame it made.
    const painted = (framesLate === 0 ? await frameEnd : await afterThisFrame()) - t0;
    performance.mark('incoming-end');
    return { sdk, dom, painted, framesLate };
  }
}

/**
 * When the current frame has painted: a message posted during a frame's animation callbacks or the script they run is
 * delivered in a task after that frame's style, layout, paint and commit. Posted first, before React queues its
 * passive effects (which run after the paint, by design), it is not held back behind them.
 */
function afterThisFrame(): Promise<number> {
  return new Promise((resolve) => {
    frameEnds.push(resolve);
    frameChannel.port2.postMessage(null);
  });
}

/** One channel for every frame timed (a new channel per frame would time its own setting up). Messages arrive in order. */
const frameChannel = new MessageChannel();
const frameEnds: ((at: number) => void)[] = [];
frameChannel.port1.onmessage = () => frameEnds.shift()?.(performance.now());

/**
 * What any change costs on this machine, timed like an incoming event (from a frame's start to its paint): a frame
 * that changes nothing, and one that adds a single line of text to the page, outside the timeline. Everything an
 * incoming event costs beyond the second is ours; the second is the browser's and the machine's.
 */
async function timeFloor(count: number): Promise<{ unchanged: number; oneLine: number }> {
  const frame = (change: () => void) =>
    new Promise<number>((resolve) =>
      requestAnimationFrame(() => {
        const t0 = performance.now();
        const frameEnd = afterThisFrame();
        change();
        void frameEnd.then((end) => resolve(end - t0));
      }),
    );
  const unchanged: number[] = [];
  const oneLine: number[] = [];
  const line = document.createElement('div');
  line.style.cssText = 'position:fixed;top:0;left:0;pointer-events:none';
  for (let i = 0; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 30));
    unchanged.push(await frame(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 30));
    oneLine.push(
      await frame(() => {
        line.textContent = `Line ${i}`;
        document.body.append(line);
      }),
    );
    line.remove();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return { unchanged: median(unchanged), oneLine: median(oneLine) };
}

/** Scrolls from the bottom to the top in big steps, one per frame, and reports frame times. */
async function scrollThrough(): Promise<{ frames: number; p50: number; p95: number; max: number }> {
  const el = document.querySelector<HTMLElement>('[role="log"]');
  if (!el) throw new Error('no timeline');
  const times: number[] = [];
  let last = performance.now();
  for (let i = 0; i < 240 && el.scrollTop > 0; i++) {
    el.scrollTop = Math.max(0, el.scrollTop - 1500);
    await new Promise(requestAnimationFrame);
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { frames: times.length, p50: at(0.5), p95: at(0.95), max: times[times.length - 1] ?? 0 };
}

/**
 * `GET /rooms/{id}/messages?dir=b&from=before_N` over the generated history, as a homeserver answers it
 * (newest first, `end` for the next page); every other request fails like the unreachable port would.
 */
async function answerMessages(messages: readonly unknown[], input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const from = /^before_(\d+)$/.exec(url.searchParams.get('from') ?? '');
  if (!url.pathname.endsWith('/messages') || !from) return fetch(input, init);
  await messagesGate.wait();
  const before = Number(from[1]);
  const start = Math.max(0, before - Number(url.searchParams.get('limit') ?? 10));
  const chunk = messages.slice(start, before).reverse();
  messagesGate.served++;
  const body = { chunk, start: `before_${before}`, ...(start > 0 ? { end: `before_${start}` } : {}) };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

/** Lets a test hold back-pagination's response until it has measured the reader's place. */
const messagesGate = (() => {
  let held: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const gate = {
    served: 0,
    hold() {
      held ??= new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      open?.();
      held = open = undefined;
    },
    wait: () => held ?? Promise.resolve(),
  };
  window.__timelineBenchMessages = gate;
  return gate;
})();
