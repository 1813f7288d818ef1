// Helpers for multi-server tests: spawn several federating homeservers, drive their dev admin API, and poll
// for convergence with a bounded wait (never a fixed sleep).
import { startHomeserver, type RunningHomeserver } from './spawn';
import { enc, TestClient } from './http-client';

export const DEV_TOKEN = 'dev-admin-token-for-tests';

export async function startServers<const Names extends readonly string[]>(
  names: Names,
  extraArgs: string[] = [],
): Promise<{ -readonly [K in keyof Names]: RunningHomeserver }> {
  const started = await Promise.allSettled(
    names.map((serverName) =>
      startHomeserver({
        serverName,
        extraArgs: ['--dev-admin', DEV_TOKEN, '--federation-max-backoff-ms', '1000', ...extraArgs],
      }),
    ),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // One server failed to start: stop the others, or they would outlive the suite and hold their ports.
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.dispose() : undefined)));
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<RunningHomeserver>).value) as { -readonly [K in keyof Names]: RunningHomeserver };
}

export async function devAdmin(server: RunningHomeserver, action: string, body: unknown = {}): Promise<any> {
  const response = await fetch(`${server.baseUrl}/_wayfarer/dev/${action}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status !== 200) throw new Error(`dev ${action} on ${server.serverName}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export async function user(server: RunningHomeserver, name: string): Promise<TestClient> {
  return new TestClient(server.baseUrl).register(name);
}

/** Message bodies of the room's timeline as this user sees it (newest 200, oldest first). */
export async function bodies(client: TestClient, roomId: string): Promise<string[]> {
  const reply = await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=200`);
  if (reply.status !== 200) throw new Error(`messages: ${reply.status} ${JSON.stringify(reply.body)}`);
  return (reply.body.chunk as any[])
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.content.body as string)
    .reverse();
}

export async function say(client: TestClient, roomId: string, body: string): Promise<string> {
  const reply = await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`, {
    msgtype: 'm.text',
    body,
  });
  if (reply.status !== 200) throw new Error(`send: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.event_id;
}

export async function roomState(client: TestClient, roomId: string, type: string, stateKey = ''): Promise<any> {
  const reply = await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`);
  return reply.status === 200 ? reply.body : undefined;
}

/** The room's member_info (MSC4428) from an initial sync. */
export async function memberInfo(client: TestClient, roomId: string): Promise<Record<string, any>> {
  const reply = await client.get('/_matrix/client/v3/sync?timeout=0');
  return reply.body.rooms?.join?.[roomId]?.['org.matrix.msc4428.member_info'] ?? {};
}

export { enc };
