/// <reference types="vite/client" />
// @vitest-environment jsdom
// Following the end of a busy room: the browser moving the view up because the end came up (a row measured smaller)
// is not the reader scrolling up, even when its scroll event arrives after new rows have grown the content again.
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { MessageRowData } from '../../domain/room/roomViewModel';
import { TimelineList } from './TimelineList';
import { fixedLayout, resetLayout, resizeObservers } from './jsdomLayout';

beforeAll(fixedLayout);

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  document.body.replaceChildren();
  resetLayout();
});

function row(i: number): MessageRowData {
  const event = {
    id: `$e${i}`,
    type: 'm.room.message',
    sender: '@bob:example.org',
    identity: '@bob:example.org',
    ts: 1_700_000_000_000 + i * 1000,
    content: { msgtype: 'm.text', body: `Message ${i}` },
    redacted: false,
    status: 'sent' as const,
  };
  return { kind: 'message', key: event.id, event, content: event.content, edited: false, startsGroup: false, reactions: [] } as never;
}

/** A scroll view as the browser keeps it: the offset stays within the content, which the test sets. */
function scrollGeometry(view: HTMLElement, content: { height: number }) {
  let top = 0;
  const max = () => Math.max(0, content.height - view.clientHeight);
  Object.defineProperty(view, 'scrollHeight', { configurable: true, get: () => content.height });
  Object.defineProperty(view, 'scrollTop', {
    configurable: true,
    get: () => Math.min(top, max()),
    set: (value: number) => {
      top = Math.max(0, Math.min(value, max()));
    },
  });
  return {
    /** The browser's layout: a lower end moves the view up with it (the scroll event comes later). */
    layout(height: number) {
      content.height = height;
      top = Math.min(top, max());
    },
  };
}

it('a busy room keeps following when the end comes up and new rows arrive before the scroll event', () => {
  const container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  const rows = Array.from({ length: 5 }, (_, i) => row(i));
  act(() => root!.render(<TimelineList rows={rows} renderRow={(r) => <p>{r.key}</p>} />));
  const view = container.querySelector<HTMLElement>('[role="log"]')!;
  const content = { height: 1600 };
  const browser = scrollGeometry(view, content);
  const resized = () => act(() => resizeObservers.forEach((callback) => callback([], {} as ResizeObserver)));
  const scrolled = () => act(() => void view.dispatchEvent(new Event('scroll')));

  view.scrollTop = Number.MAX_SAFE_INTEGER; // at the end, following
  scrolled();
  expect(view.scrollTop).toBe(1000);

  browser.layout(1500); // a row measured smaller: the end is 100 px higher, and the view moved up with it
  resized();
  browser.layout(1700); // new rows arrive before the scroll event of that move is delivered
  scrolled();
  resized();
  expect(view.scrollTop).toBe(1100); // still following: at the new end
});
