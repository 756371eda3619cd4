import { test, expect, Page } from './fixtures';
import { PASSWORD, confirmEmail, hydrated, linkFromMailbox, messages, submitSignIn, submitSignUp, uniqueEmail } from './helpers';

const t = messages('en');

// A browser refuses passkeys on a bare IP address: Muster has them at localhost.
const here = new URL(process.env.BASE_URL ?? 'http://127.0.0.1:3000');
here.hostname = 'localhost';
test.use({ baseURL: here.origin });

/** Chromium's virtual authenticator in this page: a platform one that keeps passkeys and unlocks at once. */
async function virtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    /** Off, a request waits as it does until a person picks a passkey or touches the key. */
    presence: (enabled: boolean) => cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled }),
  };
}

async function signOut(page: Page) {
  await page.getByLabel(t('nav.user_menu')).first().click();
  await page.getByRole('button', { name: t('nav.sign_out') }).click();
}

test('a passkey added on the Security page signs in without a password, and after one', async ({ page }) => {
  test.setTimeout(180_000);
  const email = uniqueEmail('passkey');
  await page.goto('/signup');
  await hydrated(page);
  await submitSignUp(page, 'Pia Passkey', email);
  // The mail's link names the server's own address: followed here, at localhost.
  const link = new URL(await linkFromMailbox(page, email, 'Confirm your email for Muster'));
  await confirmEmail(page, `${link.pathname}${link.search}`);
  await expect(page.getByRole('heading', { name: 'Welcome, Pia Passkey' })).toBeVisible();

  const { credentials, presence } = await virtualAuthenticator(page);
  await page.goto('/account/security');
  await hydrated(page);
  await page.getByLabel(t('security.passkey_name')).fill('Work laptop');
  await page.getByRole('button', { name: t('security.passkey_add') }).click();
  // A first factor comes with ten recovery codes, shown once; the passkey is listed.
  await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('passkey')).toHaveCount(1);
  await expect(page.getByTestId('passkey')).toContainText('Work laptop');
  const held = await credentials();
  expect(held).toHaveLength(1);
  expect(held[0].isResidentCredential, 'a discoverable passkey').toBe(true);
  await hydrated(page);

  // Signed out, the sign-in page offers the passkey among the email field's suggestions
  // (conditional UI). Chromium's virtual authenticator picks it at once, as the person
  // would: signed in with no address and no password.
  const answered = page.waitForRequest(
    (r) => r.method() === 'POST' && r.url().includes('/api/finish_passkey_sign_in'),
  );
  await signOut(page);
  await expect(page.getByRole('heading', { name: 'Welcome, Pia Passkey' })).toBeVisible();
  await hydrated(page);
  // Its answer works once: the same request sent again is refused (410 for the used
  // token, or 422 when the authenticator's signature counter shows the answer is old).
  const answer = await answered;
  const again = await page.request.post(answer.url(), {
    headers: {
      'content-type': answer.headers()['content-type'],
      origin: new URL(page.url()).origin,
    },
    data: answer.postData() ?? '',
  });
  expect([410, 422], 'a passkey answer sent twice').toContain(again.status());

  // While the offer waits, the password leads to the second step, where the passkey
  // finishes the sign-in.
  await presence(false);
  await signOut(page);
  await expect(page.getByRole('heading', { name: t('auth.sign_in_title') })).toBeVisible();
  await hydrated(page);
  await expect(page.getByRole('button', { name: t('auth.passkey_sign_in') })).toBeVisible();
  await submitSignIn(page, email, PASSWORD);
  await expect(page.getByRole('heading', { name: t('security.sign_in_title') })).toBeVisible();
  await hydrated(page);
  await presence(true);
  await page.getByRole('button', { name: t('security.use_passkey') }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Pia Passkey' })).toBeVisible();
  await hydrated(page);

  // The Security page lists when it was last used; removing it is a plain form.
  await page.goto('/account/security');
  await hydrated(page);
  await expect(page.getByTestId('passkey')).toContainText('last used');
  await page.getByRole('button', { name: t('security.passkey_remove') }).click();
  await expect(page.getByTestId('passkey')).toHaveCount(0);
  await hydrated(page);
});
