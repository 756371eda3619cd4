import { test, expect } from './fixtures';
import { activateOrganization, hydrated, inviteSomeone, messages, screenshot, secondInstance, uniqueEmail } from './helpers';

// An owner of one organization invites a member of another; the invitee, with
// the app open, sees the bell count rise without reloading, confirms, and the switcher
// then lists both organizations with a check on the current one. Inviter and invitee are
// served by two server instances on one database.

test('an invitation appears live in the bell, and joining adds the organization to the switcher', async ({ browser }) => {
  test.setTimeout(240_000);
  const t = messages('en');
  const bobContext = await browser.newContext({ locale: 'en-US' });
  const bob = await bobContext.newPage();
  const bobEmail = uniqueEmail('bob');
  const bobHome = await activateOrganization(bob, 'en', 'Bell Globex', bobEmail, 'Bob Baker');
  await hydrated(bob);
  await expect(bob.getByTestId('bell-count')).toHaveText('0');

  const aliceContext = await browser.newContext({ locale: 'en-US' });
  const alice = await aliceContext.newPage();
  const aliceHome = await activateOrganization(alice, 'en', 'Bell Acme', uniqueEmail('alice'), 'Alice Adams');
  // Alice goes on with another server instance (her session is in the shared database).
  const other = await secondInstance();
  test.info().annotations.push({ type: 'second instance', description: other.url });
  await alice.goto(`${other.url}${aliceHome}`);
  await expect(alice.getByRole('heading', { name: 'Bell Acme' })).toBeVisible();
  // "+" next to the profile → "Invite member" → the settings page → "Invite someone".
  await hydrated(alice);
  await alice.getByLabel(t('nav.create_menu')).first().click();
  await alice.getByRole('link', { name: t('nav.invite_member') }).click();
  await expect(alice).toHaveURL(`${other.url}${aliceHome}/settings#invite`);
  await expect(alice.getByRole('heading', { name: t('settings.title') })).toBeVisible();
  await hydrated(alice);
  await alice.locator('summary', { hasText: t('settings.invite_someone') }).click();
  const form = alice.locator('.invite-someone');
  // VIEWER is chosen unless changed, and each role lists what it may do.
  await expect(form.locator('input[name="role"][value="VIEWER"]')).toBeChecked();
  await expect(form.locator('.role-option', { hasText: t('roles.admin') })).toContainText(t('permissions.create_api_key'));
  await expect(form.getByText(t('settings.least_privilege'))).toBeVisible();
  await form.getByLabel(t('auth.email'), { exact: true }).fill(bobEmail);
  await form.locator('input[name="role"][value="EDITOR"]').check();
  await screenshot(alice, 'roles', 'en-1-invite-someone');
  await form.getByRole('button', { name: t('settings.send_invitation'), exact: true }).click();
  await expect(alice.getByTestId('invited')).toContainText(bobEmail);

  // No reload on Bob's side: the count rises through the event stream.
  await expect(bob.getByTestId('bell-count')).toHaveText('1', { timeout: 10_000 });
  expect(new URL(bob.url()).pathname).toBe(bobHome);
  await bob.getByTestId('bell').click();
  await screenshot(bob, 'roles', 'en-2-bell');
  const item = t('notifications.invited_you', { org: 'Bell Acme', role: t('roles.editor') });
  await bob.locator('.bell').getByRole('link', { name: item }).click();
  await expect(bob.getByRole('heading', { name: item })).toBeVisible();
  await hydrated(bob);
  await screenshot(bob, 'roles', 'en-3-join-prompt');
  await bob.getByRole('button', { name: t('notifications.join') }).click();
  await expect(bob).toHaveURL(new RegExp(`${aliceHome}$`));
  await expect(bob.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();

  // The switcher: both organizations, the current one checked.
  await bob.locator('.org-switcher summary').click();
  const entries = bob.locator('.org-switcher .menu-list a');
  await expect(entries).toHaveCount(2);
  await expect(bob.locator('.org-switcher a[aria-current="page"]')).toContainText('Bell Acme');
  await screenshot(bob, 'roles', 'en-4-switcher');
  await bob.locator('.org-switcher a', { hasText: 'Bell Globex' }).click();
  await expect(bob).toHaveURL(new RegExp(`${bobHome}$`));
  await expect(bob.getByTestId('bell-count')).toHaveText('0');
  // The URL carries the organization: a reload stays there.
  await bob.reload();
  await hydrated(bob);
  await expect(bob.getByRole('heading', { name: 'Bell Globex' })).toBeVisible();
  await bob.locator('.org-switcher summary').click();
  await expect(bob.locator('.org-switcher a[aria-current="page"]')).toContainText('Bell Globex');
  // Signing in lands on "/", which lists both organizations with Bob's role in each.
  await bob.goto('/');
  const homeOrgs = bob.getByTestId('home-orgs').locator('li');
  await expect(homeOrgs).toHaveCount(2);
  await expect(homeOrgs.filter({ hasText: 'Bell Acme' })).toContainText(t('roles.editor'));
  await expect(homeOrgs.filter({ hasText: 'Bell Globex' })).toContainText(t('roles.owner'));
  await screenshot(bob, 'roles', 'en-7-home');
  await bobContext.close();
  await aliceContext.close();
  other.stop();
});

// When the event stream cannot be had (a proxy that drops it, a server restarting), the
// bell looks again on a timer: the invitation still shows up without a reload.
test('with the event stream cut, the bell still updates on a timer', async ({ browser, pageErrors }) => {
  pageErrors.expect(/net::ERR_FAILED/, 'the test cuts every request for the event stream');
  test.setTimeout(240_000);
  const t = messages('en');
  const bobContext = await browser.newContext({ locale: 'en-US' });
  const bob = await bobContext.newPage();
  const bobEmail = uniqueEmail('bob');
  const bobHome = await activateOrganization(bob, 'en', 'Poll Globex', bobEmail, 'Bob Baker');
  let cut = 0;
  await bob.route('**/events', (route) => {
    cut += 1;
    return route.abort();
  });
  await bob.reload();
  await hydrated(bob);
  await expect(bob.getByTestId('bell-count')).toHaveText('0');
  await expect.poll(() => cut).toBeGreaterThan(0);

  const aliceContext = await browser.newContext({ locale: 'en-US' });
  const alice = await aliceContext.newPage();
  const aliceHome = await activateOrganization(alice, 'en', 'Poll Acme', uniqueEmail('alice'), 'Alice Adams');
  await alice.goto(`${aliceHome}/settings`);
  await hydrated(alice);
  await inviteSomeone(alice, bobEmail, 'ADMIN');

  // No stream, no reload: the timer brings the invitation within a few seconds.
  await expect(bob.getByTestId('bell-count')).toHaveText('1', { timeout: 10_000 });
  expect(new URL(bob.url()).pathname).toBe(bobHome);
  await bob.getByTestId('bell').click();
  const item = t('notifications.invited_you', { org: 'Poll Acme', role: t('roles.admin') });
  await expect(bob.locator('.bell').getByRole('link', { name: item })).toBeVisible();
  await bobContext.close();
  await aliceContext.close();
});
