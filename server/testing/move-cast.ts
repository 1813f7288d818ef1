// The cast of the multi-server move tests: alpha, beta and gamma federating, bob on gamma, and alice holding one
// recovery key with a portable account on both alpha (where she starts) and beta (where she moves).
import { registerWithAccountKey } from '../../src/features/portable/accountKeyAuth';
import type { RunningHomeserver } from './spawn';
import { TestClient } from './http-client';
import { startServers, user } from './federation-harness';

/** A portable account registered with the account key derived from `secret`, as a signed-in client. */
export async function portableClient(server: RunningHomeserver, secret: Uint8Array, username: string): Promise<TestClient> {
  const session = await registerWithAccountKey({ baseUrl: server.baseUrl, serverName: server.serverName }, secret, username);
  return Object.assign(new TestClient(server.baseUrl), {
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
  });
}

export interface MoveCast {
  alpha: RunningHomeserver;
  beta: RunningHomeserver;
  gamma: RunningHomeserver;
  bob: TestClient;
  aliceAlpha: TestClient;
  aliceBeta: TestClient;
}

export async function startMoveCast(
  serverNames: readonly [alpha: string, beta: string, gamma: string],
  secret: Uint8Array,
): Promise<MoveCast> {
  const [alpha, beta, gamma] = await startServers(serverNames);
  try {
    const bob = await user(gamma, 'bob');
    const aliceAlpha = await portableClient(alpha, secret, 'alice');
    const aliceBeta = await portableClient(beta, secret, 'alice');
    return { alpha, beta, gamma, bob, aliceAlpha, aliceBeta };
  } catch (error) {
    // The caller never gets the servers to stop: stop them here, or they would hold their ports.
    await Promise.all([alpha, beta, gamma].map((s) => s.dispose()));
    throw error;
  }
}
