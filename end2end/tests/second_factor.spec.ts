import { test, expect, Page } from './fixtures';
import { PASSWORD, activateOrganization, hydrated, inviteSomeone, linkFromMailbox, messages, submitSignIn, totpCode, uniqueEmail } from './helpers';

const t = messages('en');

/** On the Security page: sets up an authenticator app and returns its secret; the recovery codes are shown. */
async function setUpAuthenticator(page: Page): Promise<string> {
  await page.getByRole('button', { name: t('security.set_up') }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s/g, '');
  await hydrated(page);
  await expect(page.getByRole('img', { name: t('security.qr_alt') })).toBeVisible();
  await page.getByLabel(t('security.code'), { exact: true }).fill(totpCode(secret));
  await page.getByRole('button', { name: t('security.turn_on') }).click();
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  return secret;
}

test('an authenticator app, set up with a code computed here, is asked for at the next sign-in', async ({ page, pageErrors }) => {
  test.setTimeout(180_000);
  const owner = uniqueEmail('totp-owner');
  const home = await activateOrganization(page, 'en', 'Second Factor Co', owner);
  await page.getByLabel(t('nav.user_menu')).first().click();
  await page.getByRole('link', { name: t('nav.security') }).click();
  await expect(page.getByRole('heading', { name: t('security.title'), level: 1 })).toBeVisible();
  await hydrated(page);
  const secret = await setUpAuthenticator(page);
  await page.getByRole('link', { name: t('security.codes_saved') }).click();
  await expect(page.getByTestId('totp-on')).toBeVisible();
  await hydrated(page);

  // Sessions: this browser is listed.
  await page.goto('/account/sessions');
  await hydrated(page);
  await expect(page.getByTestId('session').filter({ hasText: t('sessions.this_browser') })).toHaveCount(1);

  // Signed out, the password alone leads to the second step; the next code signs in.
  await page.context().clearCookies();
  await page.goto('/signin');
  await hydrated(page);
  await submitSignIn(page, owner, PASSWORD);
  await expect(page.getByRole('heading', { name: t('security.sign_in_title') })).toBeVisible();
  await hydrated(page);
  await page.getByLabel(t('security.code'), { exact: true }).fill(totpCode(secret, 1));
  await page.getByRole('button', { name: t('auth.sign_in') }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto(home);
  await hydrated(page);
});

test('an organization that requires a second factor leads a member to set one up', async ({ page, browser, pageErrors }) => {
  test.setTimeout(240_000);
  pageErrors.expectStatus(403, 'the organization refuses Mia until she has a second factor');
  const owner = uniqueEmail('policy-owner');
  const home = await activateOrganization(page, 'en', 'Strict Co', owner);
  await page.goto('/account/security');
  await hydrated(page);
  await setUpAuthenticator(page);

  // The owner invites Mia, then requires a second factor of everyone.
  await page.goto(`${home}/settings`);
  await hydrated(page);
  const member = uniqueEmail('policy-member');
  await inviteSomeone(page, member, 'VIEWER');
  await page.getByLabel(t('settings.second_factor_everyone')).check();
  await page.locator('#second-factor').getByRole('button', { name: t('settings.second_factor_save') }).click();
  await expect(page.getByText(t('settings.second_factor_saved'))).toBeVisible();
  await hydrated(page);

  // Mia accepts; the organization leads her to set up a factor first.
  const link = await linkFromMailbox(page, member, t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Strict Co' }));
  const context = await browser.newContext({ locale: 'en-US' });
  const mia = await context.newPage();
  await mia.goto(link);
  await hydrated(mia);
  await mia.getByLabel(t('auth.name'), { exact: true }).fill('Mia Member');
  await mia.getByLabel(t('auth.password')).fill(PASSWORD);
  await mia.getByRole('button', { name: t('invitations.set_password_and_join') }).click();
  await expect(mia.getByTestId('second-factor-required')).toBeVisible();
  await hydrated(mia);
  await mia.getByRole('link', { name: t('security.set_up_now') }).click();
  await expect(mia.getByRole('heading', { name: t('security.title'), level: 1 })).toBeVisible();
  await hydrated(mia);
  await setUpAuthenticator(mia);
  await mia.goto(home);
  await expect(mia.getByText(t('org.your_role', { role: t('roles.viewer') }))).toBeVisible();
  await hydrated(mia);
  await context.close();
});
