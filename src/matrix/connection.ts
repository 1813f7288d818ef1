// The connection state people see, from matrix-js-sdk's sync state and the browser's online flag.

export type ConnectionState = 'starting' | 'syncing' | 'reconnecting' | 'offline' | 'stopped';

/** Sync states as matrix-js-sdk names them (strings, so this stays free of the SDK). */
export type SdkSyncState = 'PREPARED' | 'SYNCING' | 'CATCHUP' | 'RECONNECTING' | 'ERROR' | 'STOPPED' | null;

/** `serverLost`: the fetch watchdog (liveness.ts) found the server not answering, whatever the SDK still believes. */
export function connectionFromSync(state: SdkSyncState, browserOnline: boolean, serverLost = false): ConnectionState {
  if (!browserOnline) return 'offline';
  if (serverLost) return 'reconnecting';
  switch (state) {
    case 'PREPARED':
    case 'SYNCING':
    case 'CATCHUP':
      return 'syncing';
    case 'RECONNECTING':
    case 'ERROR': // the SDK keeps polling the server after errors; from the outside that is reconnecting
      return 'reconnecting';
    case 'STOPPED':
      return 'stopped';
    default:
      return 'starting';
  }
}

/** Did the server just come back? Then unsent messages should go out again. */
export function cameBack(previous: ConnectionState, next: ConnectionState): boolean {
  return next === 'syncing' && (previous === 'reconnecting' || previous === 'offline' || previous === 'starting');
}
