import { test, expect, Page } from './fixtures';
import { PASSWORD, activateOrganization, hydrated, linkFromMailbox, messages, screenshot, sql, uniqueEmail } from './helpers';

// Invitations that do not die unseen: a reminder before expiry whose link works, an
// address the mail server refuses shown as not delivered and sent again, an expired
// invitation extended. One journey per language; days pass by moving an invitation's
// dates in the database (the server looks for due reminders every second here).

const shot = (page: Page, name: string) => screenshot(page, 'reminders', name);

async function addAndSend(page: Page, t: ReturnType<typeof messages>, name: string, email: string) {
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  const form = page.locator('.panel-email');
  await form.getByLabel(t('auth.name'), { exact: true }).fill(name);
  await form.getByLabel(t('auth.email'), { exact: true }).fill(email);
  await form.getByLabel(t('people.send_now')).check();
  await page.getByRole('button', { name: t('people.add'), exact: true }).click();
  await expect(page.locator('tr', { hasText: email })).toBeVisible();
  await hydrated(page);
}

async function moreOptions(page: Page, t: ReturnType<typeof messages>, name: string) {
  await page.getByRole('link', { name: t('people.more_options_for', { name }) }).click();
  await expect(page.getByTestId('more-options')).toHaveCount(1);
  return page.getByTestId('more-options');
}

test('en: a reminder arrives a week before the invitation expires, and its link lets them join', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const t = messages('en');
  const home = await activateOrganization(page, 'en', 'Reminder Journey', uniqueEmail('owner-remind'));
  await page.goto(`${home}/settings`);
  await hydrated(page);
  const reminders = page.getByTestId('reminders');
  await expect(reminders.getByLabel(t('invitations.reminder_days'))).toHaveValue('7, 1');
  await reminders.getByLabel(t('invitations.reminder_days')).fill('7, 2');
  await reminders.getByRole('button', { name: t('invitations.reminders_save') }).click();
  await expect(reminders.getByRole('status')).toHaveText(t('invitations.reminders_saved'));
  await expect(reminders.getByLabel(t('invitations.reminder_days'))).toHaveValue('7, 2');

  await page.goto(`${home}/people`);
  await hydrated(page);
  const invitee = uniqueEmail('rita');
  await addAndSend(page, t, 'Rita Reminded', invitee);
  // 24 days later: a week left.
  sql(`UPDATE invitations SET sent_at = now() - interval '24 days', created_at = now() - interval '24 days',
       expires_at = now() + interval '6 days 23 hours' WHERE email = '${invitee}'`);
  const subject = t('email.invitation_reminder.subject', { inviter: 'Olivia Owner', org: 'Reminder Journey' });
  const link = await linkFromMailbox(page, invitee, subject);
  await page.reload();
  await expect(page.locator('tr', { hasText: invitee }).locator('.delivery')).toContainText(/Sent|Queued/);
  await shot(page, 'en-1-reminded');

  const context = await browser.newContext({ locale: 'en-US' });
  const p = await context.newPage();
  await p.goto(link);
  await hydrated(p);
  await p.getByLabel(t('auth.name'), { exact: true }).fill('Rita Reminded');
  await p.getByLabel(t('auth.password')).fill(PASSWORD);
  await p.getByRole('button', { name: t('invitations.set_password_and_join') }).click();
  await expect(p.getByText(t('org.your_role', { role: t('roles.viewer') }))).toBeVisible();
  await context.close();
});

test.describe('in German', () => {
test.use({ locale: 'de-DE' });
test('de: an address the mail server refuses shows "Nicht zugestellt" with the reason, and goes to the corrected address', async ({ page }) => {
  test.setTimeout(180_000);
  const t = messages('de');
  const home = await activateOrganization(page, 'de', 'Zustellung GmbH', uniqueEmail('owner-bounce'));
  await page.goto(`${home}/people`);
  await hydrated(page);
  const wrong = `${uniqueEmail('udo').split('@')[0]}@undeliverable.test`;
  await addAndSend(page, t, 'Udo Unzustellbar', wrong);
  const row = page.locator('tr', { hasText: 'Udo Unzustellbar' });
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText(t('people.invitation_not_delivered'), { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(row.locator('.delivery')).toContainText('550');
  await hydrated(page);
  await shot(page, 'de-1-not-delivered');

  const right = uniqueEmail('udo');
  const menu = await moreOptions(page, t, 'Udo Unzustellbar');
  await menu.getByLabel(t('people.address')).fill(right);
  await menu.getByRole('button', { name: t('people.correct_and_resend') }).click();
  await expect(row).toContainText(right);
  await expect(row).toContainText(t('people.invitation_pending'));
  const subject = t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Zustellung GmbH' });
  expect(await linkFromMailbox(page, right, subject)).toContain('/invitations/accept?token=');
  await expect(async () => {
    await page.reload();
    await expect(row.locator('.delivery')).toHaveAttribute('data-delivery', 'sent', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await shot(page, 'de-2-resent');
});
});

test.describe('in French', () => {
test.use({ locale: 'fr-FR' });
test('fr: an expired invitation stays listed, and "Prolonger" makes its link work again', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const t = messages('fr');
  const home = await activateOrganization(page, 'fr', 'Prolongation SA', uniqueEmail('owner-extend'));
  await page.goto(`${home}/people`);
  await hydrated(page);
  const invitee = uniqueEmail('elise');
  await addAndSend(page, t, 'Élise Expirée', invitee);
  const subject = t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Prolongation SA' });
  const link = await linkFromMailbox(page, invitee, subject);
  sql(`UPDATE invitations SET expires_at = now() - interval '1 day' WHERE email = '${invitee}'`);
  await page.reload();
  const row = page.locator('tr', { hasText: invitee });
  await expect(row).toContainText(t('people.invitation_expired'));
  await hydrated(page);
  const menu = await moreOptions(page, t, 'Élise Expirée');
  await expect(menu.getByRole('button', { name: t('people.resend') })).toBeVisible();
  await menu.getByRole('button', { name: t('people.extend') }).click();
  await expect(row).toContainText(t('people.invitation_pending'));
  await shot(page, 'fr-1-extended');

  const context = await browser.newContext({ locale: 'fr-FR' });
  const p = await context.newPage();
  await p.goto(link);
  await hydrated(p);
  await expect(p.getByRole('button', { name: t('invitations.set_password_and_join') })).toBeVisible();
  await context.close();
});
});
