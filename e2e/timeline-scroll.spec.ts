// The reader's place while older messages load, measured on the real ChatView and matrix-js-sdk
// back-pagination (the bench build's page and its in-page `/messages`, so no server timing is involved), with the CPU
// slowed down the way a busy machine slows it: rows render late and get measured over several frames.
import { expect, test, type Page } from '@playwright/test';
import { serveBenchBuild } from './support/bench';
import { timeline, waitForTimelineToSettle } from './support/chat';

const { benchPage } = serveBenchBuild();

interface Gate {
  hold(): void;
  release(): void;
  served: number;
}
const gate = (page: Page) => page.evaluate(() => (window as unknown as { __timelineBenchMessages: Gate }).__timelineBenchMessages.served);

/** The first message at the top of the view and its position on screen. */
async function topMessage(page: Page): Promise<{ id: string; top: number }> {
  return timeline(page).evaluate((log) => {
    const logTop = log.getBoundingClientRect().top;
    const first = [...log.querySelectorAll('article')].find((a) => a.getBoundingClientRect().bottom > logTop + 1)!;
    return { id: first.dataset.eventId!, top: first.getBoundingClientRect().top };
  });
}

for (const cpuSlowdown of [1, 6]) {
  test(`older messages load above without moving the message being read (CPU ×${cpuSlowdown})`, async ({ page }) => {
    // Six times slower on purpose, on a machine that may be busy with other specs: the usual minute is not enough.
    test.slow(cpuSlowdown > 1);
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.goto(benchPage('events=1500&loaded=60'));
    await page.waitForFunction(() => (window as unknown as { __timelineBench?: unknown }).__timelineBench !== undefined);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuSlowdown });

    for (let page_ = 1; page_ <= 4; page_++) {
      const served = await gate(page);
      // Hold the response until the place is measured: it is taken before the older rows arrive.
      await page.evaluate(() => (window as unknown as { __timelineBenchMessages: Gate }).__timelineBenchMessages.hold());
      await timeline(page).evaluate((log) => log.scrollTo({ top: 0 }));
      await expect(page.getByText('Loading older messages…')).toBeVisible();
      await waitForTimelineToSettle(page);
      const before = await topMessage(page);
      await page.evaluate(() => (window as unknown as { __timelineBenchMessages: Gate }).__timelineBenchMessages.release());
      await expect.poll(() => gate(page)).toBe(served + 1);
      await expect(page.getByText('Loading older messages…')).toBeHidden();
      await expect.poll(() => timeline(page).evaluate((log) => log.scrollTop)).toBeGreaterThan(200);
      await waitForTimelineToSettle(page);
      const after = await page.locator(`article[data-event-id="${before.id}"]`).evaluate((a) => a.getBoundingClientRect().top);
      // Within a line of where it was (a naive list would show the older messages and push it away).
      expect(Math.abs(after - before.top), `page ${page_}: ${before.id} moved from ${before.top} to ${after}`).toBeLessThan(24);
    }
  });
}

test('jump to latest from the top of a long history lands at the very end, however late rows get measured', async ({ page }) => {
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.goto(benchPage('events=3000'));
  await page.waitForFunction(() => (window as unknown as { __timelineBench?: unknown }).__timelineBench !== undefined);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
  // Up through the history in big steps, as a reader flinging the wheel would: most rows in between are never
  // rendered, so their heights are estimates until the jump measures them.
  await timeline(page).evaluate(async (log) => {
    while (log.scrollTop > 0) {
      log.scrollTop = Math.max(0, log.scrollTop - 20_000);
      await new Promise(requestAnimationFrame);
    }
  });
  await waitForTimelineToSettle(page);
  await page.getByRole('button', { name: 'Jump to latest' }).click();
  await waitForTimelineToSettle(page);
  const gap = await timeline(page).evaluate((log) => log.scrollHeight - log.scrollTop - log.clientHeight);
  expect(gap).toBeLessThan(2);
  await expect(page.getByRole('button', { name: 'Jump to latest' })).toBeHidden();
});

/**
 * React's last committed tree, through the devtools hook React reads at start-up (as the React DevTools extension does):
 * what a message arriving makes React render.
 */
const watchCommits = () => {
  const w = window as unknown as { __root: unknown; __REACT_DEVTOOLS_GLOBAL_HOOK__: unknown };
  w.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true,
    renderers: new Map(),
    inject: () => 1,
    checkDCE: () => undefined,
    onCommitFiberRoot: (_id: number, root: unknown) => {
      w.__root = root;
    },
    onCommitFiberUnmount: () => undefined,
    onPostCommitFiberRoot: () => undefined,
  };
};

/** The hook state of the component that renders the room's header: a new object each time that component renders. */
const headerOwnerState = (page: Page) =>
  page.evaluate(() => {
    interface Fiber {
      tag: number;
      stateNode: unknown;
      child: Fiber | null;
      sibling: Fiber | null;
      return: Fiber | null;
      memoizedState: unknown;
    }
    const w = window as unknown as { __root: { current: Fiber }; __states?: unknown[] };
    const header = document.querySelector('section > header');
    const stack: Fiber[] = [w.__root.current];
    let found: Fiber | undefined;
    while (stack.length && !found) {
      const f = stack.pop()!;
      if (f.stateNode === header) found = f;
      if (f.sibling) stack.push(f.sibling);
      if (f.child) stack.push(f.child);
    }
    let owner = found?.return ?? null;
    while (owner && owner.tag !== 0 && owner.tag !== 15) owner = owner.return; // a function component or a memo of one
    w.__states ??= [];
    w.__states.push(owner?.memoizedState);
    return { found: !!owner, index: w.__states.length - 1 };
  });

test('a message arriving renders its row, not the room header again', async ({ page }) => {
  await page.setViewportSize({ width: 1200, height: 800 });
  await page.addInitScript(watchCommits);
  await page.goto(benchPage('events=3000'));
  await page.waitForFunction(() => (window as unknown as { __timelineBench?: unknown }).__timelineBench !== undefined);
  await page.evaluate(() => (window as unknown as { __timelineBenchIncoming(n: number): Promise<number[]> }).__timelineBenchIncoming(2));
  await waitForTimelineToSettle(page);
  const before = await headerOwnerState(page);
  expect(before.found).toBe(true);
  await page.evaluate(() => (window as unknown as { __timelineBenchIncoming(n: number): Promise<number[]> }).__timelineBenchIncoming(1));
  await waitForTimelineToSettle(page);
  const after = await headerOwnerState(page);
  const same = await page.evaluate(
    ([a, b]) => {
      const w = window as unknown as { __states: unknown[] };
      return w.__states[a] === w.__states[b];
    },
    [before.index, after.index] as const,
  );
  expect(same, 'the component rendering the header rendered again for a new message').toBe(true);
});
