import { useEffect } from 'react';
import { selectTotalUnread, useChat } from '../../state/chatStore';
import { tabTitle } from './decide';

/** Keeps the tab title at "(n) Wayfarer" while signed in; puts it back on the way out. */
export function useTabTitle(): void {
  const total = useChat(selectTotalUnread);
  useEffect(() => {
    document.title = tabTitle(total);
  }, [total]);
  useEffect(() => () => void (document.title = tabTitle(0)), []);
}
