/// <reference types="vite/client" />
// @vitest-environment jsdom
// The withheld-keys notice shows the view model's count, and nothing when no one is left out.
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { createStore } from 'zustand/vanilla';
import { expect, it } from 'vitest';
import type { RoomViewModel, RoomViewState } from '../../domain/room/roomViewModel';
import { WithheldKeysNotice } from './WithheldKeysNotice';

it('says how many members get no room keys, following the view model', () => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  const store = createStore<Pick<RoomViewState, 'withheldKeys'>>()(() => ({ withheldKeys: 2 }));
  const vm = Object.assign(store, { dispose() {} }) as unknown as RoomViewModel;
  const container = document.createElement('div');
  const root = createRoot(container);
  act(() => root.render(<WithheldKeysNotice vm={vm} />));
  expect(container.querySelector('[data-testid="withheld-keys"]')?.textContent).toMatch(/2 members/);
  act(() => store.setState({ withheldKeys: 0 }));
  expect(container.querySelector('[data-testid="withheld-keys"]')).toBeNull();
  act(() => root.unmount());
});
