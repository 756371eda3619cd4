import { test, expect } from '@playwright/test';
import { activateOrganization, hydrated, messages, uniqueEmail } from './helpers';

// Seed 003: an owner of one organization invites a member of another; the invitee, with
// the app open, sees the bell count rise without reloading, confirms, and the switcher
// then lists both organizations with a check on the current one.

test('an invitation appears live in the bell, and joining adds the organization to the switcher', async ({ browser }) => {
  test.setTimeout(240_000);
  const t = messages('en');
  const bobContext = await browser.newContext({ locale: 'en-US' });
  const bob = await bobContext.newPage();
  const bobEmail = uniqueEmail('bob');
  const bobHome = await activateOrganization(bob, 'en', 'Bell Globex', bobEmail);
  await hydrated(bob);
  await expect(bob.getByTestId('bell-count')).toHaveText('0');

  const aliceContext = await browser.newContext({ locale: 'en-US' });
  const alice = await aliceContext.newPage();
  const aliceHome = await activateOrganization(alice, 'en', 'Bell Acme', uniqueEmail('alice'));
  await alice.goto(`${aliceHome}/people`);
  await hydrated(alice);
  await alice.locator('summary', { hasText: t('people.add_person') }).click();
  const form = alice.locator('.panel-email');
  await form.getByLabel(t('auth.name'), { exact: true }).fill('Bob Member');
  await form.getByLabel(t('auth.email'), { exact: true }).fill(bobEmail);
  await form.getByLabel(t('activation.role'), { exact: true }).selectOption('EDITOR');
  await form.getByRole('button', { name: t('people.add'), exact: true }).click();
  await expect(alice.locator('tr', { hasText: bobEmail })).toContainText(t('people.invitation_pending'));

  // No reload on Bob's side: the count rises through the event stream.
  await expect(bob.getByTestId('bell-count')).toHaveText('1', { timeout: 10_000 });
  expect(new URL(bob.url()).pathname).toBe(bobHome);
  await bob.getByTestId('bell').click();
  const item = t('notifications.invited_you', { org: 'Bell Acme', role: t('roles.editor') });
  await bob.getByRole('link', { name: item }).click();
  await expect(bob.getByRole('heading', { name: item })).toBeVisible();
  await hydrated(bob);
  await bob.getByRole('button', { name: t('notifications.join') }).click();
  await expect(bob).toHaveURL(new RegExp(`${aliceHome}$`));
  await expect(bob.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();

  // The switcher: both organizations, the current one checked.
  await bob.locator('.org-switcher summary').click();
  const entries = bob.locator('.org-switcher .menu-list a');
  await expect(entries).toHaveCount(2);
  await expect(bob.locator('.org-switcher a[aria-current="page"]')).toContainText('Bell Acme');
  await bob.locator('.org-switcher a', { hasText: 'Bell Globex' }).click();
  await expect(bob).toHaveURL(new RegExp(`${bobHome}$`));
  await expect(bob.getByTestId('bell-count')).toHaveText('0');
  await bobContext.close();
  await aliceContext.close();
});
