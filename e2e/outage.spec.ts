// A homeserver that hangs (SIGSTOP: the process is there, its port accepts connections, nothing answers) is
// noticed: the client says the connection is lost, a message typed meanwhile says it waits, and when the server
// comes back (SIGCONT) the messages go out by themselves, in order, once each, as the other server's user sees.
// The long-poll and probe timeouts are shortened through localStorage `wayfarer.liveness` (src/matrix/liveness.ts).
import { expect, test } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { startServers } from '../server/testing/federation-harness';
import { createRoom, inviteAndAccept, message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';
import { quickLiveness, resumeAll, signalServer } from './support/liveness';

let servers: RunningHomeserver[] = [];

test.beforeAll(async () => {
  servers = await startServers(['alpha.localhost:21201', 'beta.localhost:21202']);
});

test.afterAll(async () => {
  resumeAll(servers);
  await Promise.all(servers.map((s) => s.dispose()));
});

test('a hung homeserver: "Connection lost" shows, messages typed meanwhile wait, then go out once each and in order', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const [alpha, beta] = servers as [RunningHomeserver, RunningHomeserver];
  const alice = await signedUpPage(browser, alpha.serverName, 'alice', { beforeSignUp: quickLiveness, width: 1280 });
  const bob = await signedUpPage(browser, beta.serverName, 'bob', { beforeSignUp: quickLiveness });
  await createRoom(alice, 'Harbour watch', { version: '11' });
  await inviteAndAccept(alice, bob, 'Harbour watch', `@bob:${beta.serverName}`);
  await expect(bob.getByRole('heading', { name: 'Harbour watch' })).toBeVisible();
  await sendMessage(alice, 'before the outage');
  await expect(message(bob, 'before the outage')).toBeVisible({ timeout: 30_000 });
  const banner = alice.getByRole('status', { name: 'Connection' });
  await expect(banner).toHaveAttribute('data-state', 'syncing');

  // Alice's homeserver hangs.
  signalServer(alpha, 'SIGSTOP');
  await expect(banner).toHaveAttribute('data-state', 'reconnecting', { timeout: 30_000 });
  await expect(banner).toContainText('Connection lost. Retrying…');
  await expect(banner).toBeVisible();

  // What she types now waits, and says so (not "Sending…" for ever).
  await sendMessage(alice, 'typed during the outage, first');
  await sendMessage(alice, 'typed during the outage, second');
  for (const text of ['typed during the outage, first', 'typed during the outage, second']) {
    await expect(message(alice, text).getByRole('status')).toHaveText(/Not sent yet: waiting for the connection/);
    await expect(message(alice, text).getByText('Sending…')).toHaveCount(0);
  }
  await screenshot(alice, 'outage-banner-1280');
  await alice.setViewportSize({ width: 375, height: 800 });
  await expect(banner).toBeVisible();
  await screenshot(alice, 'outage-banner-375');
  await alice.setViewportSize({ width: 1280, height: 800 });

  // The server comes back: the banner goes, the messages go out by themselves.
  signalServer(alpha, 'SIGCONT');
  await expect(banner).toHaveAttribute('data-state', 'syncing', { timeout: 30_000 });
  await expect(banner).not.toContainText('Connection lost');
  for (const text of ['typed during the outage, first', 'typed during the outage, second']) {
    await expect(message(alice, text).getByRole('status')).toHaveCount(0, { timeout: 30_000 });
    await expect(message(alice, text).getByText(/Not sent/)).toHaveCount(0);
  }

  // Bob, on the other server, gets each once, in the order she typed them.
  await expect(message(bob, 'typed during the outage, second')).toBeVisible({ timeout: 30_000 });
  await sendMessage(alice, 'after the outage');
  await expect(message(bob, 'after the outage')).toBeVisible({ timeout: 30_000 });
  const bodies = await timeline(bob)
    .getByRole('article')
    .evaluateAll((rows) => rows.map((row) => row.textContent ?? ''));
  const ours = bodies.flatMap((text) => {
    const found = ['before the outage', 'typed during the outage, first', 'typed during the outage, second', 'after the outage'].filter(
      (body) => text.includes(body),
    );
    return found;
  });
  expect(ours).toEqual(['before the outage', 'typed during the outage, first', 'typed during the outage, second', 'after the outage']);
  // And so does Alice, after a reload from the server.
  await alice.reload();
  await alice.getByRole('button', { name: /^Harbour watch/ }).click();
  await expect(message(alice, 'after the outage')).toBeVisible();
  for (const text of ['typed during the outage, first', 'typed during the outage, second'])
    await expect(message(alice, text)).toHaveCount(1);
});
