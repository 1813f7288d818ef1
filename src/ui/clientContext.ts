import { createContext, useContext } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';

export const ClientContext = createContext<MatrixClient | undefined>(undefined);

export function useClient(): MatrixClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside a signed-in screen');
  return client;
}
