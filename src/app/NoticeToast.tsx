import { useEffect } from 'react';
import { useChat, chatStore } from '../state/chatStore';
import { t } from '../i18n';

/** Errors from actions (create, join, invite…) in words, until dismissed. */
export function NoticeToast() {
  const notice = useChat((s) => s.notice);
  // Confirmations fade on their own; errors stay until read.
  useEffect(() => {
    if (notice?.tone !== 'info') return;
    const timer = setTimeout(() => chatStore.getState().clearNotice(), 4000);
    return () => clearTimeout(timer);
  }, [notice]);
  if (!notice) return null;
  return (
    <div
      role={notice.tone === 'error' ? 'alert' : 'status'}
      className={`fixed inset-x-2 bottom-20 z-50 mx-auto flex max-w-lg items-start gap-3 rounded-md p-3 text-sm shadow-lg md:bottom-4 ${
        notice.tone === 'error' ? 'bg-danger-surface text-danger-fg' : 'bg-surface-muted text-fg'
      }`}
    >
      <p className="flex-1">{notice.text}</p>
      <button className="font-medium underline" onClick={() => chatStore.getState().clearNotice()}>
        {t('app.notice.dismiss')}
      </button>
    </div>
  );
}
