import { useChat } from '../state/chatStore';
import { useClient } from '../ui/clientContext';
import { t, type MessageKey } from '../i18n';
import type { ConnectionState } from '../matrix/connection';

const label: Record<ConnectionState, MessageKey> = {
  starting: 'app.connection.starting',
  syncing: 'app.connection.syncing',
  reconnecting: 'app.connection.reconnecting',
  offline: 'app.connection.offline',
  stopped: 'app.connection.stopped',
};

/** Always announces the connection state; shows a bar when it is not healthy. */
export function ConnectionBanner() {
  const connection = useChat((s) => s.connection);
  const client = useClient();
  const healthy = connection === 'syncing';
  return (
    <div
      role="status"
      aria-label={t('app.connection.label')}
      data-state={connection}
      className={healthy ? 'sr-only' : 'flex items-center justify-center gap-3 bg-warning-surface px-3 py-1.5 text-sm text-warning-fg'}
    >
      <span>{t(label[connection])}</span>
      {connection === 'reconnecting' && (
        <button className="underline" onClick={() => client.retryImmediately()}>
          {t('app.connection.retry')}
        </button>
      )}
    </div>
  );
}
