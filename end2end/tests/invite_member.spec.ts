import { test, expect } from './fixtures';
import { PASSWORD, activateOrganization, confirmEmail, hydrated, inviteSomeone, linkFromMailbox, messages, screenshot, uniqueEmail } from './helpers';

const t = messages('en');

// Someone without an account is invited, signs up through the link the inviter
// is shown, and then finds the invitation in the bell.
test('an invitee without an account signs up with the link and finds the invitation in the bell', async ({ browser }) => {
  test.setTimeout(240_000);
  const aliceContext = await browser.newContext({ locale: 'en-US' });
  const alice = await aliceContext.newPage();
  const aliceEmail = uniqueEmail('alice');
  const home = await activateOrganization(alice, 'en', 'Signup Acme', aliceEmail, 'Alice Adams');
  const carolEmail = uniqueEmail('carol');
  await alice.goto(`${home}/settings`);
  await hydrated(alice);
  await inviteSomeone(alice, carolEmail);
  await expect(alice.getByTestId('seats')).toContainText('2 of');
  const signup = await alice.getByTestId('signup-link').getAttribute('href');
  expect(signup).toContain('/signup?email=');

  const carolContext = await browser.newContext({ locale: 'en-US' });
  const carol = await carolContext.newPage();
  await carol.goto(signup!);
  await hydrated(carol);
  await expect(carol.getByLabel('Email')).toHaveValue(carolEmail);
  await carol.getByLabel('Name').fill('Carol New');
  await carol.getByLabel('Password').fill(PASSWORD);
  await carol.getByRole('button', { name: 'Create account' }).click();
  await expect(carol.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await confirmEmail(carol, await linkFromMailbox(carol, carolEmail, 'Confirm your email for Muster'));
  await expect(carol.getByTestId('bell-count')).toHaveText('1');
  // Signing in lands on the home page, which lists the invitation too; the bell opens it.
  const item = t('notifications.invited_you', { org: 'Signup Acme', role: t('roles.viewer') });
  await expect(carol.getByTestId('home-invitations')).toContainText(item);
  await carol.getByTestId('bell').click();
  await carol.locator('.bell').getByRole('link', { name: item }).click();
  await hydrated(carol);
  await carol.getByRole('button', { name: t('notifications.join') }).click();
  await expect(carol).toHaveURL(new RegExp(`${home}$`));
  await carol.reload();
  await carol.locator('.org-switcher summary').click();
  await expect(carol.locator('.org-switcher a[aria-current="page"]')).toContainText('Signup Acme');

  // A viewer may not invite: the settings page says whom to ask.
  await carol.goto(`${home}/settings`);
  await expect(carol.getByTestId('ask-admins')).toContainText(aliceEmail);
  await expect(carol.locator('[data-permission="invite"]')).toHaveAttribute('data-allowed', 'false');
  await expect(carol.locator('[data-permission="view_alerts"]')).toHaveAttribute('data-allowed', 'true');
  await screenshot(carol, 'roles', 'en-5-viewer-settings');
  await carolContext.close();
  await aliceContext.close();
});

test('an API key created on the settings page invites through the REST API until it is revoked', async ({ page }) => {
  test.setTimeout(180_000);
  const home = await activateOrganization(page, 'en', 'Keys Acme', uniqueEmail('olivia'));
  await page.goto(`${home}/settings`);
  await hydrated(page);
  const keys = page.locator('#api-keys');
  await keys.getByLabel(t('settings.key_name'), { exact: true }).fill('CI robot');
  await keys.getByLabel(t('activation.role'), { exact: true }).selectOption('ADMIN');
  await keys.getByRole('button', { name: t('settings.create_key'), exact: true }).click();
  const key = await page.getByTestId('new-api-key').inputValue();
  expect(key).toMatch(/^mk_/);
  // The list shows the new key at once (its prefix only), not yet used.
  const listed = page.getByTestId('api-key-row').filter({ hasText: 'CI robot' });
  await expect(listed).toContainText(t('settings.never_used'));
  await expect(listed).toContainText(key.slice(0, 9));
  await expect(listed).not.toContainText(key);
  // The form is ready for the next key.
  await expect(keys.getByLabel(t('settings.key_name'), { exact: true })).toHaveValue('');
  await screenshot(page, 'roles', 'en-6-api-key');

  const invitee = uniqueEmail('api');
  const created = await page.request.post('/api/v1/invitations', {
    headers: { Authorization: `Bearer ${key}` },
    data: { email: invitee, role: 'EDITOR' },
  });
  expect(created.status()).toBe(201);
  expect((await created.json()).email).toBe(invitee);

  await page.reload();
  const row = page.getByTestId('api-key-row').filter({ hasText: 'CI robot' });
  await expect(row).not.toContainText(t('settings.never_used'));
  await hydrated(page);
  await row.getByRole('button', { name: t('settings.revoke_key', { name: 'CI robot' }) }).click();
  await expect(page.getByTestId('api-key-row')).toHaveCount(0);
  const refused = await page.request.get('/api/v1/members', { headers: { Authorization: `Bearer ${key}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()['content-type']).toBe('application/problem+json');
});
