// `?bench=timeline&events=N`: the real ChatView on a real matrix-js-sdk Room filled with N events, no
// server involved, timed from "sync data ready" to the first painted timeline. Read by bench/client.bench.ts.
import { useLayoutEffect, useState } from 'react';
import { createClient, Room, PendingEventOrdering, type MatrixClient } from 'matrix-js-sdk';
import { ClientContext } from '../clientContext';
import ChatView from '../../features/chat/ChatView';
import { chatStore } from '../../state/chatStore';
import { generateRoomEvents } from './generateRoom';

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
  }
}

const roomId = '!bench:bench.localhost';
const me = '@alice:bench.localhost';

async function prepare(count: number): Promise<{ client: MatrixClient; t0: number; tRoom: number }> {
  const raw = generateRoomEvents(roomId, count);
  // Nothing listens on this port: the bench never talks to a server.
  const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: me, accessToken: 'bench', deviceId: 'BENCH' });
  const t0 = performance.now(); // the events are in hand, as after /sync and /messages responses
  const room = new Room(roomId, client, me, { pendingEventOrdering: PendingEventOrdering.Detached });
  const mapper = client.getEventMapper();
  const events = raw.map((e) => mapper(e));
  // The way a long history reaches the SDK: state and the newest page from /sync, the rest from
  // back-pagination (/messages), newest first.
  const state = events.filter((e) => e.isState());
  const messages = events.filter((e) => !e.isState());
  room.getLiveTimeline().initialiseState(state);
  await room.addLiveEvents(messages.slice(-30), { addToState: false });
  room.addEventsToTimeline(messages.slice(0, -30).reverse(), true, false, room.getLiveTimeline());
  room.oldState.paginationToken = null; // the whole history is loaded
  client.store.storeRoom(room);
  chatStore.getState().selectRoom(roomId);
  const tRoom = performance.now();
  return { client, t0, tRoom };
}

export default function TimelineBench({ count }: { count: number }) {
  const [ready, setReady] = useState<{ client: MatrixClient; t0: number; tRoom: number }>();
  useLayoutEffect(() => {
    void prepare(count).then(setReady);
  }, [count]);
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
