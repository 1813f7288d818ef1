// Dialogs are modal: Tab and Shift+Tab stay inside the open one (native <dialog> with showModal), Escape closes it.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import { newUserPage, register, screenshot } from './support/chat';

const serverName = 'alpha.localhost:19385';
homeserverForSpec(serverName); // the tests only talk to it through the client

/**
 * Presses `key` `times` times. After each press focus must be inside `dialog`, or on no element of the page at
 * all: a native modal lets Tab go on from its last control to the browser's own toolbar (the page's body is then
 * the active element) and come back to its first. It must never reach the page behind the dialog.
 */
async function expectFocusTrapped(page: Page, dialog: Locator, key: 'Tab' | 'Shift+Tab', times: number): Promise<void> {
  const handle = await dialog.elementHandle();
  let insideCount = 0;
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(key);
    const where = await page.evaluate((el) => {
      const active = document.activeElement;
      if (!active || active === document.body) return 'browser';
      return el?.contains(active) ? 'inside' : `outside: ${active.outerHTML.slice(0, 80)}`;
    }, handle);
    expect(where === 'inside' || where === 'browser', `${key} #${i + 1} reached the page behind the dialog (${where})`).toBe(true);
    if (where === 'inside') insideCount++;
  }
  // Round and round: most presses land on the dialog's own controls.
  expect(insideCount).toBeGreaterThan(times / 2);
}

test('the migration wizard and the small dialogs keep focus inside while open; Escape closes them', async ({ browser }) => {
  const page = await newUserPage(browser);
  await register(page, serverName, 'dana', 'dana-password');

  await page.getByRole('button', { name: 'Move account' }).click();
  const wizard = page.getByRole('dialog', { name: 'Move your account' });
  await expect(wizard).toBeVisible();
  await expect(wizard.getByRole('button', { name: 'Close' })).toBeVisible();
  // More presses than the wizard has controls: a leak to the room list behind it would show.
  await expectFocusTrapped(page, wizard, 'Tab', 25);
  await expectFocusTrapped(page, wizard, 'Shift+Tab', 25);
  await screenshot(page, 'dialogs-wizard');
  await page.keyboard.press('Escape');
  await expect(wizard).toBeHidden();
  await expect(page.getByRole('button', { name: 'Move account' })).toBeVisible();

  await page.getByRole('button', { name: 'New room' }).click();
  const create = page.getByRole('dialog', { name: 'Create a room' });
  await expect(create).toBeVisible();
  await expectFocusTrapped(page, create, 'Tab', 15);
  await page.keyboard.press('Escape');
  await expect(create).toBeHidden();
});
