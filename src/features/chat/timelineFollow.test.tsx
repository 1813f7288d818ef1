/// <reference types="vite/client" />
// @vitest-environment jsdom
// Following the end of a busy room: the browser moving the view up because the end came up (the content shrank) is
// not the reader scrolling up, even when its scroll event arrives after new rows have grown the content again.
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { MessageRowData, RoomRow } from '../../domain/room/roomViewModel';
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

/** A scroll view as the browser keeps it: the offset stays within the content, whose height the test sets. */
function scrollGeometry(view: HTMLElement, initialHeight: number) {
  let height = initialHeight;
  let top = 0;
  const max = () => Math.max(0, height - view.clientHeight);
  Object.defineProperty(view, 'scrollHeight', { configurable: true, get: () => height });
  Object.defineProperty(view, 'scrollTop', {
    configurable: true,
    get: () => top,
    set: (value: number) => {
      top = Math.max(0, Math.min(value, max()));
    },
  });
  return {
    /** The browser's layout: a lower end moves the view up with it (the scroll event comes later). */
    layout(next: number) {
      height = next;
      top = Math.min(top, max());
    },
  };
}

function mount(rows: readonly RoomRow[]) {
  const container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  const render = (next: readonly RoomRow[]) => act(() => root!.render(<TimelineList rows={next} renderRow={(r) => <p>{r.key}</p>} />));
  render(rows);
  const view = container.querySelector<HTMLElement>('[role="log"]')!;
  const sizer = view.firstElementChild as HTMLElement;
  return {
    view,
    sizer,
    render,
    scrolled: () => act(() => void view.dispatchEvent(new Event('scroll'))),
    /** The page's own observer of the list (it watches the list's content box). */
    listObserved: () =>
      act(() => {
        for (const o of resizeObservers) if (o.targets.has(sizer)) o.callback([], {} as ResizeObserver);
      }),
    /** The virtualiser's observer of the rows: `element` measured `height` px tall. */
    rowMeasured: (element: Element, height: number) =>
      act(() => {
        const entry = { target: element, borderBoxSize: [{ blockSize: height, inlineSize: 800 }] } as unknown as ResizeObserverEntry;
        for (const o of resizeObservers) if (o.targets.has(element)) o.callback([entry], {} as ResizeObserver);
      }),
  };
}

/** Five rows in 1,600 px of content under a 600 px view, scrolled to the end: following it. */
function followingTheEnd() {
  const rows = Array.from({ length: 5 }, (_, i) => row(i));
  const list = mount(rows);
  const browser = scrollGeometry(list.view, 1600);
  list.view.scrollTop = Number.MAX_SAFE_INTEGER;
  list.scrolled();
  expect(list.view.scrollTop).toBe(1000);
  return { rows, list, browser };
}

it('keeps following when the end comes up and new rows arrive before the scroll event of that move', () => {
  const { list, browser } = followingTheEnd();

  browser.layout(1500); // the content shrank: the end is 100 px higher, and the view moved up with it
  list.listObserved();
  browser.layout(1700); // new rows arrive before the scroll event of that move is delivered
  list.scrolled();
  list.listObserved();
  expect(list.view.scrollTop).toBe(1100); // still following: at the new end
});

it('keeps following when a row measured smaller shortens the list and the scroll event comes before the list is observed', () => {
  const { rows, list, browser } = followingTheEnd();

  // The virtualiser measures a row 10 px smaller than it was laid out: the list renders 10 px shorter, the browser
  // moves the view up with its end, and the page's observer of the list hears of it only in the next frame.
  const before = list.sizer.style.height;
  const first = list.sizer.querySelector('[data-index="0"]')!;
  list.rowMeasured(first, 16);
  expect(Number.parseFloat(list.sizer.style.height)).toBe(Number.parseFloat(before) - 10);
  browser.layout(1590);
  // Before that frame, new rows arrive and grow the content; then the scroll event of the move is delivered.
  list.render([...rows, row(5), row(6)]);
  browser.layout(1700);
  list.scrolled();
  list.listObserved();
  expect(list.view.scrollTop).toBe(1100);
});

it('still stops following when the reader scrolls up', () => {
  const { list, browser } = followingTheEnd();
  list.view.scrollTop = 900; // the reader, 100 px up
  list.scrolled();
  browser.layout(1700); // new rows
  list.listObserved();
  expect(list.view.scrollTop).toBe(900);
});
