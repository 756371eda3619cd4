import type { BrowserContext, Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { PASSWORD, confirmEmail, hydrated, linkFromMailbox, submitSignIn, submitSignUp, uniqueEmail } from './helpers';

test('sign up, confirm the email from the received mail, sign in and sign out', async ({ page, pageErrors }) => {
  pageErrors.expectStatus(410, 'once confirmed, the page checks its link again on the way out: it is used');
  const email = uniqueEmail('ada');
  await page.goto('/signup');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await submitSignUp(page, 'Ada Lovelace', email);

  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();

  const link = await linkFromMailbox(page, email, 'Confirm your email for Muster');
  await confirmEmail(page, link);
  await expect(page.getByText('Your email is confirmed and you are signed in.')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Welcome, Ada Lovelace' })).toBeVisible();
  await page.getByLabel('Your account').first().click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Muster' })).toBeVisible();

  await submitSignIn(page, email);
  await expect(page.getByRole('heading', { name: 'Welcome, Ada Lovelace' })).toBeVisible();

  // The shell: switcher, "+", bell and user menu are all there.
  await expect(page.getByLabel('Organization switcher').first()).toBeVisible();
  await expect(page.getByLabel('Create').first()).toBeVisible();
  await expect(page.getByLabel('Notifications: 0 unread').first()).toBeVisible();
  await page.getByLabel('Your account').first().click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Muster' })).toBeVisible();

  // Reusing the confirmation link is refused clearly.
  await page.goto(link);
  await expect(page.getByRole('alert')).toHaveText('This link has already been used. Each link works only once.');
});

for (const { locale, lang, title, name, password, create, check } of [
  { locale: 'fr-FR', lang: 'fr', title: 'Créer votre compte', name: 'Nom', password: 'Mot de passe', create: 'Créer le compte', check: 'Consultez votre boîte de réception' },
  { locale: 'de-DE', lang: 'de', title: 'Konto erstellen', name: 'Name', password: 'Passwort', create: 'Konto erstellen', check: 'Prüfen Sie Ihren Posteingang' },
]) {
  test.describe(`in ${lang}`, () => {
    test.use({ locale });

    test(`signing up speaks ${lang}, on the page and in the mail`, async ({ page }) => {
      const email = uniqueEmail(`user-${lang}`);
      await page.goto('/signup');
      await hydrated(page);
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await expect(page.getByRole('heading', { name: title })).toBeVisible();

      // Live validation, in this language, before anything is sent.
      await page.getByLabel(password, { exact: true }).fill('short');
      await page.getByLabel(name, { exact: true }).focus();
      const tooShort = lang === 'fr' ? 'Mot de passe : utilisez au moins 10 caractères.' : 'Passwort: Verwenden Sie mindestens 10 Zeichen.';
      await expect(page.getByText(tooShort)).toBeVisible();

      await page.getByLabel(name, { exact: true }).fill('Zoé Muster');
      await page.getByLabel(/E-Mail|Adresse courriel/).fill(email);
      await page.getByLabel(password, { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: create }).click();
      await expect(page.getByRole('heading', { name: check })).toBeVisible();

      const subject = lang === 'fr' ? 'Confirmez votre adresse courriel pour Muster' : 'Bestätigen Sie Ihre E-Mail-Adresse für Muster';
      const link = await linkFromMailbox(page, email, subject);
      expect(link).toContain('/verify-email?token=');
    });
  });
}

test('a wrong password gets a clear message, and switching language on the sign-in page is instant', async ({ page, pageErrors }) => {
  pageErrors.expectStatus(422, 'the wrong password is refused');
  await page.goto('/signin');
  await hydrated(page);
  await submitSignIn(page, uniqueEmail('nobody'), 'wrong password!');
  await expect(page.getByRole('alert')).toContainText('The email or password is incorrect.');

  await page.getByLabel('Language').selectOption('de');
  await expect(page.getByRole('heading', { name: 'Bei Muster anmelden' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  // Remembered: a reload stays in German.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Bei Muster anmelden' })).toBeVisible();
});

test('a bad email is flagged as soon as the field is left', async ({ page }) => {
  await page.goto('/signup');
  await hydrated(page);
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').focus();
  await expect(page.getByText('Email: enter an address like name@example.com.')).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Email').fill('fixed@example.com');
  await expect(page.getByText('Email: enter an address like name@example.com.')).toHaveCount(0);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign up, confirm and sign in all work with plain forms', async ({ page }) => {
    const email = uniqueEmail('nojs');
    await page.goto('/signup');
    await submitSignUp(page, 'Noscript Nell', email, 'short');
    await expect(page.getByText('Password: use at least 10 characters.')).toBeVisible();

    await submitSignUp(page, 'Noscript Nell', email);
    await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();

    const link = await linkFromMailbox(page, email, 'Confirm your email for Muster');
    // With another password than the one typed at sign-up, the link confirms nothing.
    await confirmEmail(page, link, 'not the password I chose', false);
    await expect(page.getByText('Password: this is not the password chosen at sign-up.', { exact: false })).toBeVisible();
    await confirmEmail(page, link, PASSWORD, false);
    await expect(page.getByText('Your email is confirmed and you are signed in.')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Welcome, Noscript Nell' })).toBeVisible();
    await page.getByLabel('Your account').first().click();
    await page.getByRole('button', { name: 'Sign out' }).click();

    await submitSignIn(page, email, PASSWORD, false);
    await expect(page.getByRole('heading', { name: 'Welcome, Noscript Nell' })).toBeVisible();

    // The user menu opens without JavaScript too, and signs out.
    await page.getByLabel('Your account').first().click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in to Muster' })).toBeVisible();
  });
});

test('the top bar menus are reachable by keyboard', async ({ page }) => {
  const email = uniqueEmail('keys');
  await page.goto('/signup');
  await hydrated(page);
  await submitSignUp(page, 'Kay Board', email);
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await confirmEmail(page, await linkFromMailbox(page, email, 'Confirm your email for Muster'));
  await expect(page.getByRole('heading', { name: 'Welcome, Kay Board' })).toBeVisible();

  const seen: string[] = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    if (label) seen.push(label);
  }
  expect(seen).toEqual(expect.arrayContaining(['No organization yet — Organization switcher', 'Create', 'Notifications: 0 unread', 'Your account']));
  await page.getByLabel('Your account').first().focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
});

test('a page gets its styles: every bundle file answers, and the stylesheet applies', async ({ page }) => {
  const bundle: string[] = [];
  const failed: string[] = [];
  page.on('response', (res) => {
    if (new URL(res.url()).pathname.startsWith('/pkg/')) {
      bundle.push(res.url());
      if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
    }
  });
  await page.goto('/signin');
  await hydrated(page);
  expect(failed).toEqual([]);
  expect(bundle.some((url) => url.endsWith('.css'))).toBe(true);
  // The rules arrived and belong to the page: the sheet Muster's <link> names has them.
  const rules = await page.evaluate(() => {
    const link = document.querySelector('link#leptos[rel="stylesheet"]') as HTMLLinkElement | null;
    return link?.sheet?.cssRules.length ?? 0;
  });
  expect(rules).toBeGreaterThan(10);
});

test('signing out in another tab ends the live bell quietly, and the first tab says so', async ({ context, page }) => {
  await signedUp(page, 'Tess Tabs', 'tabs');
  await hydrated(page);
  await signOutInAnotherTab(context);

  // The first tab learns it at once, and asks nothing more of the server: the guard fails
  // this test on any request answered 401 (its stream and timer used to keep asking).
  await expect(page.getByRole('status').filter({ hasText: 'You signed out in another tab or window.' })).toBeVisible();
  await page.waitForTimeout(7_000);
  await expect(page.getByRole('link', { name: 'Sign in again' })).toHaveAttribute('href', '/signin');
});

test('a page whose session ends before it comes alive says so, and logs no error', async ({ context, page }) => {
  await signedUp(page, 'Erin Early', 'early');

  // The page is shown signed in, but its code is held back while another tab signs out:
  // when it comes alive, the session it was drawn for has ended (the guard fails this test
  // on any request answered 401).
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Welcome, Erin Early' })).toBeVisible();
  await signOutInAnotherTab(context);
  release();

  await hydrated(page);
  await expect(page.getByRole('status').filter({ hasText: 'You signed out in another tab or window.' })).toBeVisible();
  // Long enough for a page that kept asking to have asked again.
  await page.waitForTimeout(4_000);
  await expect(page.getByRole('link', { name: 'Sign in again' })).toHaveAttribute('href', '/signin');
});

/** A new account, confirmed from its mail and signed in on `page`. */
async function signedUp(page: Page, name: string, tag: string) {
  const email = uniqueEmail(tag);
  await page.goto('/signup');
  await hydrated(page);
  await submitSignUp(page, name, email);
  await confirmEmail(page, await linkFromMailbox(page, email, 'Confirm your email for Muster'));
  await expect(page.getByRole('heading', { name: `Welcome, ${name}` })).toBeVisible();
}

/** Signs the context's session out from a second tab. */
async function signOutInAnotherTab(context: BrowserContext) {
  const other = await context.newPage();
  await other.goto('/');
  await hydrated(other);
  await other.getByLabel('Your account').first().click();
  await other.getByRole('button', { name: 'Sign out' }).click();
  await expect(other.getByRole('heading', { name: 'Sign in to Muster' })).toBeVisible();
}
