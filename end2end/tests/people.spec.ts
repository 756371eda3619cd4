import { test, expect, Page } from './fixtures';
import { PASSWORD, activateOrganization, hydrated, linkFromMailbox, messages, screenshot, subjectsFor, uniqueEmail } from './helpers';

// Admin > People (seeds 000-002): one journey per way of bringing people in, each in one of
// the three languages, with the seeds' wording read from the product's own locale files.

const shot = (page: Page, name: string) => screenshot(page, 'people', name);

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

async function addPerson(page: Page, t: ReturnType<typeof messages>, name: string, email: string, sendNow: boolean) {
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await expect(page.getByRole('heading', { name: t('people.add_title') })).toBeVisible();
  const form = page.locator('.panel-email');
  await form.getByLabel(t('auth.name'), { exact: true }).fill(name);
  await form.getByLabel(t('auth.email'), { exact: true }).fill(email);
  await form.getByLabel(t('activation.role'), { exact: true }).selectOption('EDITOR');
  const box = form.getByLabel(t('people.send_now'));
  if (sendNow) await box.check(); else await box.uncheck();
  await page.getByRole('button', { name: t('people.add'), exact: true }).click();
  await expect(page.locator('tr', { hasText: email })).toBeVisible();
  await hydrated(page);
}

test('en: an admin adds a person with "send now"; they set a password from the email and show as accepted', async ({ page, browser }) => {
  test.setTimeout(180_000);
  const t = messages('en');
  const owner = uniqueEmail('owner-invite');
  const home = await activateOrganization(page, 'en', 'Invite Journey', owner);
  await page.goto(`${home}/people`);
  await hydrated(page);
  const added = uniqueEmail('paula');
  await addPerson(page, t, 'Paula Person', added, true);
  const row = page.locator('tr', { hasText: added });
  await expect(row).toContainText(t('people.invitation_pending'));
  await expect(row).toContainText(today());
  await shot(page, 'en-1-invited');

  // The email: a link to set a password, and the Resource Center.
  const subject = t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Invite Journey' });
  const mailbox = await page.context().newPage();
  await mailbox.goto('/dev/mailbox');
  await expect(mailbox.locator('article.mail', { hasText: added })).toContainText(t('email.invitation.resources'));
  await mailbox.close();
  const link = await linkFromMailbox(page, added, subject);
  const invitee = await browser.newContext({ locale: 'en-US' });
  const p = await invitee.newPage();
  await p.goto(link);
  await hydrated(p);
  await p.getByLabel(t('auth.name'), { exact: true }).fill('Paula Person');
  await p.getByLabel(t('auth.password')).fill(PASSWORD);
  await p.getByRole('button', { name: t('invitations.set_password_and_join') }).click();
  await expect(p.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();
  await p.goto('/resources');
  await expect(p.getByRole('heading', { name: t('resources.title') })).toBeVisible();
  await invitee.close();

  // The rows arrive once, in the page's markup: hydrating them fetches nothing more.
  const fetched: string[] = [];
  page.on('request', (r) => { if (r.url().includes('get_people')) fetched.push(r.url()); });
  await page.reload();
  await expect(row).toContainText(t('people.invitation_accepted'));
  await expect(row).toContainText(today());
  await shot(page, 'en-2-accepted');

  // "More Options" opens for one row at a time; changing the role there shows at once.
  await hydrated(page);
  expect(fetched).toEqual([]);
  await expect(page.getByTestId('more-options')).toHaveCount(0);
  await page.getByRole('link', { name: t('people.more_options_for', { name: 'Paula Person' }) }).click();
  await expect(page.getByTestId('more-options')).toHaveCount(1);
  await page.getByTestId('more-options').getByLabel(t('people.change_role')).selectOption('VIEWER');
  await page.getByTestId('more-options').getByRole('button', { name: t('people.change_role') }).click();
  await expect(row).toContainText(t('roles.viewer'));
  await expect(page.getByTestId('more-options')).toHaveCount(0);
});

test.describe('in French', () => {
test.use({ locale: 'fr-FR' });
test('fr: people of the allowed domain join by the copied link; others are refused; turning it off stops it', async ({ page, browser, pageErrors }) => {
  pageErrors.expectStatus(422, 'an address outside the allowed domains is refused');
  pageErrors.expectStatus(410, 'the link no longer works once turned off');
  test.setTimeout(180_000);
  const t = messages('fr');
  const owner = uniqueEmail('owner-link');
  const home = await activateOrganization(page, 'fr', 'Lien Co', owner);
  await page.goto(`${home}/people`);
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  await page.getByLabel(t('people.allowed_domains')).fill('lien.test');
  await page.getByRole('switch', { name: t('people.link_setting') }).check();
  await page.getByRole('button', { name: t('people.save_link') }).click();
  await expect(page.getByTestId('joined-count')).toHaveText(t('people.link_joined', { count: '0' }));
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  const url = await page.getByTestId('join-link').inputValue();
  expect(url).toMatch(/\/join\/[A-Za-z0-9_-]{43}$/);
  await page.getByRole('button', { name: t('people.copy') }).click();
  await expect(page.getByRole('button', { name: t('people.copied') })).toBeVisible();
  await shot(page, 'fr-1-link-tab');

  const joinerContext = await browser.newContext({ locale: 'fr-FR' });
  const j = await joinerContext.newPage();
  await j.goto(url);
  await hydrated(j);
  await expect(j.getByRole('heading', { name: t('join.title', { org: 'Lien Co' }) })).toBeVisible();
  await j.getByLabel(t('auth.name'), { exact: true }).fill('Jules Joiner');
  await j.getByLabel(t('auth.email')).fill('jules@ailleurs.test');
  await j.getByLabel(t('auth.password')).fill(PASSWORD);
  await j.getByRole('button', { name: t('join.submit') }).click();
  await expect(j.getByText(t('errors.join_domain_not_allowed', { domains: 'lien.test' }))).toBeVisible();
  await shot(j, 'fr-2-refused');
  const joiner = `jules-${Date.now()}@lien.test`;
  await j.getByLabel(t('auth.email')).fill(joiner);
  await j.getByLabel(t('auth.password')).fill(PASSWORD);
  await j.getByRole('button', { name: t('join.submit') }).click();
  await expect(j.getByRole('heading', { name: t('join.sent_title') })).toBeVisible();
  const confirm = await linkFromMailbox(j, joiner, t('email.join.subject', { org: 'Lien Co' }));
  await j.goto(confirm);
  await hydrated(j);
  await j.getByLabel(t('join.confirm_password')).fill(PASSWORD);
  await j.getByRole('button', { name: t('join.confirm') }).click();
  await expect(j.getByText(t('org.your_role', { role: t('roles.viewer') }))).toBeVisible();
  await joinerContext.close();

  await page.reload();
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  await expect(page.getByTestId('joined-count')).toHaveText(t('people.link_joined', { count: '1' }));
  await page.getByRole('switch', { name: t('people.link_setting') }).uncheck();
  await page.getByRole('button', { name: t('people.save_link') }).click();
  await expect(page.getByTestId('join-link')).toHaveCount(0);

  const late = await browser.newContext({ locale: 'fr-FR' });
  const l = await late.newPage();
  const response = await l.goto(url);
  expect(response!.status()).toBe(410);
  await expect(l.getByText(t('errors.join_link_disabled'))).toBeVisible();
  await late.close();
});

});

test.describe('in German', () => {
test.use({ locale: 'de-DE' });
test('de: "Alle einladen" after "Ja" invites exactly the people never invited, once', async ({ page }) => {
  test.setTimeout(180_000);
  const t = messages('de');
  const owner = uniqueEmail('owner-all');
  const home = await activateOrganization(page, 'de', 'Alle Co', owner);
  await page.goto(`${home}/people`);
  await hydrated(page);
  const later = [uniqueEmail('later-a'), uniqueEmail('later-b')];
  for (const email of later) await addPerson(page, t, 'Lara Later', email, false);
  for (const email of later) {
    await expect(page.locator('tr', { hasText: email })).toContainText(t('people.invitation_none'));
  }
  await page.getByRole('link', { name: t('people.invite_all') }).click();
  await expect(page.getByText(t('people.invite_all_confirm', { count: '2' }))).toBeVisible();
  await shot(page, 'de-1-invite-all-confirm');
  await page.getByRole('button', { name: t('people.yes') }).click();
  for (const email of later) {
    await expect(page.locator('tr', { hasText: email })).toContainText(t('people.invitation_pending'), { timeout: 20_000 });
  }
  const subject = t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Alle Co' });
  for (const email of later) expect(await subjectsFor(page, email, 1)).toEqual([subject]);
  // While mails go out the page shows progress, then reloads itself once all are sent.
  await expect(page.getByTestId('invite-all-progress')).toHaveCount(0, { timeout: 30_000 });
  await hydrated(page);
  await page.getByRole('link', { name: t('people.invite_all') }).click();
  await expect(page.getByText(t('people.invite_all_nobody'))).toBeVisible();
  await shot(page, 'de-2-invited');
  for (const email of later) expect((await subjectsFor(page, email, 1)).length).toBe(1);
});
});

/**
 * What a first visit asks for, cache off: the page names its part of the browser bundle in
 * its head (so the files come in one wave, beside the app's frame), the browser fetches
 * only files it was told of, and the whole visit stays within 20 requests. Counts, not
 * times: the same on any machine.
 */
test('a first visit names its bundle files in the head and asks for at most 20 files', async ({ browser, page }) => {
  const home = await activateOrganization(page, 'en', 'Wave Works', uniqueEmail('waves'));
  const cookies = await page.context().cookies();
  for (const [path, signedIn] of [['/signin', false], [`${home}/people`, true], [`${home}/settings`, true]] as const) {
    const context = await browser.newContext();
    if (signedIn) await context.addCookies(cookies);
    const visit = await context.newPage();
    const requested: string[] = [];
    const errors: string[] = [];
    visit.on('request', (r) => requested.push(new URL(r.url()).pathname));
    visit.on('pageerror', (e) => errors.push(String(e)));
    await visit.goto(path);
    await expect(visit.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
    const untilHydrated = [...requested];
    const named = await visit.evaluate(() =>
      [...document.head.querySelectorAll('link[rel="preload"][type="application/wasm"], link[rel="modulepreload"]')].map(
        (l) => new URL((l as HTMLLinkElement).href).pathname,
      ),
    );
    const parts = untilHydrated.filter((p) => p.startsWith('/pkg/') && (p.endsWith('.wasm') || p.includes('__wasm_split')));
    const frame = parts.filter((p) => /\/pkg\/muster[._]/.test(p));
    const unnamed = parts.filter((p) => !frame.includes(p) && !named.includes(p));
    expect(errors, `${path}: page errors`).toEqual([]);
    expect(named.some((p) => p.endsWith('.wasm')), `${path}: its part is named in the head`).toBe(true);
    expect(unnamed, `${path}: bundle files fetched without being named in the head`).toEqual([]);
    expect(untilHydrated.length, `${path}: requests until hydrated: ${untilHydrated.join(' ')}`).toBeLessThanOrEqual(20);
    await context.close();
  }
});
