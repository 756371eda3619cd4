import { test, expect } from './fixtures';
import { PASSWORD, activateOrganization, confirmEmail, hydrated, linkFromMailbox, messages, submitSignIn, uniqueEmail } from './helpers';

// Attacks tried in a real browser. Each of these journeys succeeded for the attacker
// before the fix it guards.

test('an account opened with someone else\'s address never signs in with the attacker\'s password', async ({ browser, pageErrors }) => {
  pageErrors.expectStatus(422, 'Vera\'s password is not the one chosen at sign-up; the attacker\'s password is refused');
  const victim = uniqueEmail('vera');
  const attackerPassword = 'attacker picked this';

  // The attacker signs up with Vera's address.
  const attackerContext = await browser.newContext();
  const attacker = await attackerContext.newPage();
  await attacker.goto('/signup');
  await hydrated(attacker);
  await attacker.getByLabel('Name').fill('Vera (not really)');
  await attacker.getByLabel('Email').fill(victim);
  await attacker.getByLabel('Password').fill(attackerPassword);
  await attacker.getByRole('button', { name: 'Create account' }).click();
  await expect(attacker.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();

  // Vera gets the mail and presses "Confirm my email" with her own password: refused.
  const veraContext = await browser.newContext();
  const vera = await veraContext.newPage();
  const link = await linkFromMailbox(vera, victim, 'Confirm your email for Muster');
  await confirmEmail(vera, link, PASSWORD);
  await expect(vera.getByText('this is not the password chosen at sign-up', { exact: false })).toBeVisible();

  // The attacker's password does not open the account.
  await attacker.goto('/signin');
  await hydrated(attacker);
  await submitSignIn(attacker, victim, attackerPassword);
  await expect(attacker.getByText('The email or password is incorrect.', { exact: false })).toBeVisible();

  // Vera takes her address over with "Forgot your password?" and is signed in.
  await vera.getByRole('link', { name: 'Forgot your password?' }).click();
  await hydrated(vera);
  await vera.getByLabel('Email').fill(victim);
  await vera.getByRole('button', { name: 'Send reset link' }).click();
  await vera.goto(await linkFromMailbox(vera, victim, 'Reset your Muster password'));
  await hydrated(vera);
  await vera.getByLabel('New password').fill(PASSWORD);
  await vera.getByRole('button', { name: 'Change password' }).click();
  await expect(vera.getByText('Your password has been changed and you are signed in.')).toBeVisible();

  // From now on the attacker's password is simply wrong.
  await attacker.goto('/signin');
  await hydrated(attacker);
  await submitSignIn(attacker, victim, attackerPassword);
  await expect(attacker.getByText('The email or password is incorrect.')).toBeVisible();
  await attackerContext.close();
  await veraContext.close();
});

test('a page on a sibling origin cannot invite an ADMIN with the owner\'s cookies', async ({ page, baseURL, pageErrors }) => {
  pageErrors.expectStatus(403, 'the cross-site post is refused');
  const t = messages('en');
  const owner = uniqueEmail('olga');
  const home = await activateOrganization(page, 'en', 'Sibling Corp', owner, 'Olga Owner');
  await page.goto(`${home}/settings`);
  await hydrated(page);
  const action = await page.locator('.invite-someone form').getAttribute('action');
  expect(action).toBeTruthy();
  const [, region, short] = home.match(/\/o\/([^/]+)\/([^/]+)/)!;

  // Same host, another port: the same *site*, so SameSite=Lax cookies go along.
  const target = new URL(baseURL!);
  const sibling = `${target.protocol}//${target.hostname}:${Number(target.port) + 17}`;
  await page.route(`${sibling}/**`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<form method="post" action="${target.origin}${action}">
      <input name="region" value="${region}"><input name="short_name" value="${short}">
      <input name="email" value="mallory@evil.test"><input name="role" value="ADMIN">
      <button>Win a prize</button></form>`,
  }));
  await page.goto(`${sibling}/prize`);
  await page.getByRole('button', { name: 'Win a prize' }).click();
  await expect(page.getByText('this request came from another website', { exact: false })).toBeVisible();

  // Nothing was invited.
  await page.goto(`${home}/settings`);
  await hydrated(page);
  await expect(page.getByText('mallory@evil.test')).toHaveCount(0);
  // The owner's own form still works.
  await page.locator('summary', { hasText: t('settings.invite_someone') }).click();
  await page.locator('.invite-someone').getByLabel(t('auth.email'), { exact: true }).fill('ann@sibling.test');
  await page.locator('.invite-someone').getByRole('button', { name: t('settings.send_invitation'), exact: true }).click();
  await expect(page.getByTestId('invited')).toContainText('ann@sibling.test');
});
