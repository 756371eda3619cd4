import { test, expect } from './fixtures';
import { PASSWORD, activateOrganization, hydrated, linkFromMailbox, messages, screenshot, uniqueEmail } from './helpers';

// Limited self-join links: a named link with its own role and number of joins, made on
// the Link tab; the visitor after its last join is told it is full, in their language.

test('en: a limited link for two people gives them its role, then says it is full', async ({ page, browser, pageErrors }) => {
  pageErrors.expectStatus(410, 'the link is full after its last join');
  test.setTimeout(240_000);
  const t = messages('en');
  const home = await activateOrganization(page, 'en', 'Summit Org', uniqueEmail('owner-limited'));
  await page.goto(`${home}/people`);
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  // The allowed domain applies to every link.
  await page.getByLabel(t('people.allowed_domains')).fill('summit.test');
  // Saved, the page loads itself again (a full navigation), with the domain kept.
  const reloaded = page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame());
  await page.getByRole('button', { name: t('people.save_link') }).click();
  await reloaded;
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  await expect(page.getByLabel(t('people.allowed_domains'))).toHaveValue('summit.test');
  const links = page.getByTestId('limited-links');
  await links.getByLabel(t('people.link_name')).fill('Spring summit');
  await links.getByLabel(t('activation.role')).selectOption('EDITOR');
  await links.getByLabel(t('people.link_max_joins')).fill('1');
  await links.getByRole('button', { name: t('people.link_create') }).click();
  const item = page.locator('li.limited-link', { hasText: 'Spring summit' });
  await expect(item).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  await expect(item).toContainText(t('people.link_joins_left', { left: '1', joined: '0' }));
  await expect(item).toContainText(t('people.link_made_by', { name: 'Olivia Owner' }));
  await screenshot(page, 'links', 'en-1-limited-link');
  const url = await item.getByRole('textbox').inputValue();

  // The first visitor joins as an Editor.
  const first = await browser.newContext({ locale: 'en-US' });
  const j = await first.newPage();
  await j.goto(url);
  await hydrated(j);
  await expect(j.getByTestId('join-role')).toHaveText(t('join.as_role', { role: t('roles.editor') }));
  const joiner = uniqueEmail('sam').replace(/@.*/, '@summit.test');
  await j.getByLabel(t('auth.name'), { exact: true }).fill('Sam Summit');
  await j.getByLabel(t('auth.email')).fill(joiner);
  await j.getByLabel(t('auth.password')).fill(PASSWORD);
  await j.getByRole('button', { name: t('join.submit') }).click();
  await expect(j.getByRole('heading', { name: t('join.sent_title') })).toBeVisible();
  const confirm = await linkFromMailbox(j, joiner, t('email.join.subject', { org: 'Summit Org' }));
  await j.goto(confirm);
  await hydrated(j);
  await j.getByLabel(t('join.confirm_password')).fill(PASSWORD);
  await j.getByRole('button', { name: t('join.confirm') }).click();
  await expect(j.getByText(t('org.your_role', { role: t('roles.editor') }))).toBeVisible();
  await first.close();

  // The next visitor, in German: the link is full.
  const de = messages('de');
  const second = await browser.newContext({ locale: 'de-DE' });
  const l = await second.newPage();
  const response = await l.goto(url);
  expect(response!.status()).toBe(410);
  await hydrated(l);
  await expect(l.getByText(de('errors.join_link_full'))).toBeVisible();
  await screenshot(l, 'links', 'de-2-full');
  await second.close();

  await page.reload();
  await hydrated(page);
  await page.locator('summary', { hasText: t('people.add_person') }).click();
  await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
  await expect(item).toContainText(t('people.link_full'));
  await item.getByRole('button', { name: t('people.link_disable') }).click();
  await expect(page.locator('li.limited-link', { hasText: 'Spring summit' })).toHaveCount(0);
});
