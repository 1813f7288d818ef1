/// <reference types="vite/client" />
// @vitest-environment jsdom
// What a new message costs the page: the rows already on screen are not rendered again, a row's actions are made
// when they are first wanted (pointer or focus), an avatar without a picture renders once, and a row is few elements.
import { act, Profiler, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MessageRowData, RoomRow } from '../../domain/room/roomViewModel';
import type { SenderProfile } from '../../domain/identity/describeSender';
import { TimelineList } from './TimelineList';
import { MessageRow, type MessageActions } from './MessageRow';
import { Avatar } from '../../ui/Avatar';
import { fixedLayout } from './jsdomLayout';

beforeAll(fixedLayout);

let root: Root | undefined;
let container: HTMLElement | undefined;
afterEach(() => {
  act(() => root?.unmount());
  container?.remove();
  root = container = undefined;
});

function mount(node: ReactNode) {
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  act(() => root!.render(node));
  return container;
}

const profile: SenderProfile = {
  identity: '@bob:example.org',
  userId: '@bob:example.org',
  name: 'Bob',
  badge: { kind: 'plain', handle: '@bob:example.org' },
  handleLabel: '@bob:example.org',
  warnings: [],
};

function messageRow(i: number): MessageRowData {
  return {
    kind: 'message',
    key: `$e${i}`,
    event: {
      id: `$e${i}`,
      type: 'm.room.message',
      sender: profile.userId,
      identity: profile.identity,
      ts: 1_700_000_000_000 + i * 1000,
      content: { msgtype: 'm.text', body: `Message ${i}` },
      redacted: false,
      status: 'sent',
    },
    content: { msgtype: 'm.text', body: `Message ${i}` },
    edited: false,
    startsGroup: i === 0,
    reactions: [],
    profile,
  };
}

const noActions: MessageActions = {
  onReply: () => undefined,
  onEdit: () => undefined,
  onDelete: () => undefined,
  onRetry: () => undefined,
  onDiscard: () => undefined,
  onInspect: () => undefined,
  onToggleReaction: () => undefined,
  onRevealQuote: () => undefined,
};

describe('a new message renders its own row only', () => {
  it('the rows already on screen are not rendered again when one arrives', () => {
    const rows = Array.from({ length: 5 }, (_, i) => messageRow(i));
    const renderRow = vi.fn((row: RoomRow) => <p>{row.key}</p>);
    const page = mount(<TimelineList rows={rows} renderRow={renderRow} />);
    expect(page.querySelectorAll('[data-index]')).toHaveLength(5);
    renderRow.mockClear();

    const grown = [...rows, messageRow(5)];
    act(() => root!.render(<TimelineList rows={grown} renderRow={renderRow} />));
    expect(page.querySelectorAll('[data-index]')).toHaveLength(6);
    expect(renderRow.mock.calls.map(([row]) => row.key)).toEqual(['$e5']);
  });
});

describe("a message's actions are made when first wanted", () => {
  const row = messageRow(0);
  const view = () => (
    <MessageRow
      row={row}
      profile={profile}
      isOwn={false}
      canDelete
      myIdentity="@me:example.org"
      reactorName={() => ''}
      actions={noActions}
    />
  );

  it('none before, all of them once focus comes into the row (Tab or a tap), and the row is in the Tab order', () => {
    const page = mount(view());
    const article = page.querySelector('article')!;
    expect(article.tabIndex).toBe(0);
    expect(page.querySelector('[aria-label="Reply to Bob"]')).toBeNull();
    act(() => article.focus());
    const labels = [...page.querySelectorAll('button')].map((b) => b.getAttribute('aria-label'));
    expect(labels).toEqual(['Bob: show identity', 'React', 'Reply to Bob', 'Delete message']);
  });

  it('all of them once the pointer comes over the row', () => {
    const page = mount(view());
    const article = page.querySelector('article')!;
    expect(page.querySelector('[aria-label="Reply to Bob"]')).toBeNull();
    act(() => {
      article.dispatchEvent(new MouseEvent('mouseover', { bubbles: true, relatedTarget: document.body }));
      article.dispatchEvent(new PointerEvent('pointerover', { bubbles: true, relatedTarget: document.body }));
    });
    expect(page.querySelector('[aria-label="Reply to Bob"]')).not.toBeNull();
  });
});

describe('an avatar without a picture', () => {
  it('renders once, not again after mounting', () => {
    const commits: string[] = [];
    mount(
      <Profiler id="avatar" onRender={(_id, phase) => commits.push(phase)}>
        <Avatar name="Bob" size={32} />
      </Profiler>,
    );
    expect(commits).toEqual(['mount']);
  });
});

describe("a new row's own elements", () => {
  it('a row that starts a group: its avatar is the column, the text its own element, and no inline style', () => {
    const page = mount(
      <MessageRow
        row={messageRow(0)}
        profile={profile}
        isOwn={false}
        canDelete={false}
        myIdentity="@me:example.org"
        reactorName={() => ''}
        actions={noActions}
      />,
    );
    const article = page.querySelector('article')!;
    // article > avatar, content > header (name button > name, handle, time), text
    expect(article.querySelectorAll('*')).toHaveLength(8);
    expect(article.firstElementChild?.textContent).toBe('B');
    expect(article.querySelectorAll('[style]')).toHaveLength(0);
    expect(article.querySelector('[data-sender-name]')?.hasAttribute('class')).toBe(false);
  });

  it('a line of text is dimmed on its own element while it is being sent', () => {
    const sending = messageRow(1);
    const row = { ...sending, event: { ...sending.event, status: 'sending' as const } };
    const page = mount(
      <MessageRow row={row} profile={profile} isOwn canDelete myIdentity={profile.identity} reactorName={() => ''} actions={noActions} />,
    );
    const text = [...page.querySelectorAll('div')].find((d) => d.textContent === 'Message 1' && d.children.length === 0)!;
    expect(text.className).toContain('opacity-60');
  });

  it('an avatar of a size the app uses sets classes, another size an inline style', () => {
    const known = mount(<Avatar name="Bob" size={32} />).firstElementChild as HTMLElement;
    expect(known.getAttribute('style')).toBeNull();
    expect(known.className).toContain('size-8');
    act(() => root?.unmount());
    const other = mount(<Avatar name="Bob" size={30} />).firstElementChild as HTMLElement;
    expect(other.style.width).toBe('30px');
  });
});
