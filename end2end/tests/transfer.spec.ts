import { test, expect, Page } from './fixtures';
import { PASSWORD, activateOrganization, hydrated, linkFromMailbox, messages, screenshot, uniqueEmail } from './helpers';

// Ownership changes hands through the bell: the OWNER offers it on the settings page,
// the member sees the offer arrive in their bell and accepts; the old OWNER, now an
// ADMIN as they chose, leaves, and the new OWNER is told in their bell.

async function addPerson(page: Page, t: ReturnType<typeof messages>, name: string, email: string) {
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  const form = page.locator('.panel-email');
  await form.getByLabel(t('auth.name'), { exact: true }).fill(name);
  await form.getByLabel(t('auth.email'), { exact: true }).fill(email);
  await form.getByLabel(t('activation.role'), { exact: true }).selectOption('EDITOR');
  await form.getByLabel(t('people.send_now')).check();
  await page.getByRole('button', { name: t('people.add'), exact: true }).click();
  await expect(page.locator('tr', { hasText: email })).toBeVisible();
}

test('en: an owner hands the organization over through the bell, then leaves', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const t = messages('en');
  const home = await activateOrganization(page, 'en', 'Handover Ltd', uniqueEmail('owner-handover'));
  await page.goto(`${home}/people`);
  await hydrated(page);
  const heir = uniqueEmail('hana');
  await addPerson(page, t, 'Hana Heir', heir);

  const context = await browser.newContext({ locale: 'en-US' });
  const h = await context.newPage();
  await h.goto(await linkFromMailbox(page, heir, t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Handover Ltd' })));
  await hydrated(h);
  await h.getByLabel(t('auth.name'), { exact: true }).fill('Hana Heir');
  await h.getByLabel(t('auth.password')).fill(PASSWORD);
  await h.getByRole('button', { name: t('invitations.set_password_and_join') }).click();
  await expect(h.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();
  await hydrated(h);
  await expect(h.getByTestId('bell-count')).toHaveText('0');

  // The offer: nothing changes yet.
  await page.goto(`${home}/settings`);
  await hydrated(page);
  const transfer = page.getByTestId('transfer');
  await transfer.getByLabel(t('org.transfer_to')).selectOption({ label: `Hana Heir <${heir}>` });
  await transfer.getByLabel(t('org.transfer_role_after')).selectOption('ADMIN');
  await transfer.getByRole('button', { name: t('org.transfer_offer') }).click();
  await expect(page.getByTestId('transfer-pending')).toHaveText(t('org.transfer_pending', { who: 'Hana Heir' }));
  await screenshot(page, 'transfer', 'en-1-offered');

  // It arrives in Hana's bell without a reload.
  await expect(h.getByTestId('bell-count')).toHaveText('1', { timeout: 15_000 });
  await h.getByTestId('bell').click();
  await h.getByRole('link', { name: t('notifications.ownership_offer', { who: 'Olivia Owner', org: 'Handover Ltd' }) }).click();
  await expect(h.getByTestId('ownership-offer')).toBeVisible();
  await hydrated(h);
  await screenshot(h, 'transfer', 'en-2-offer');
  await h.getByRole('button', { name: t('notifications.accept_ownership') }).click();
  await expect(h.getByText(t('org.your_role', { role: t('roles.owner') }))).toBeVisible();

  // Olivia is an ADMIN now, as she chose; she leaves, and Hana is told.
  await page.goto(home);
  await hydrated(page);
  await expect(page.getByText(t('org.your_role', { role: t('roles.admin') }))).toBeVisible();
  const leave = page.getByTestId('leave');
  await leave.getByRole('checkbox').check();
  await leave.getByRole('button', { name: t('org.leave') }).click();
  await expect(page).toHaveURL(/\/$/);
  await h.goto('/notifications');
  await hydrated(h);
  // Outside organizations, the switcher names the one used last.
  await expect(h.locator('.org-switcher .org-name')).toHaveText('Handover Ltd');
  await expect(h.getByTestId('note').first()).toContainText(t('notifications.member_left', { who: 'Olivia Owner', org: 'Handover Ltd' }));
  await screenshot(h, 'transfer', 'en-3-told');
  await context.close();
});
