import { test, expect } from './fixtures';
import { activateOrganization, hydrated, messages, screenshot, screenshotOf, uniqueEmail } from './helpers';

// The organization's identity provider, from the settings page. Verified domains: the
// OWNER adds one, publishes the TXT record it shows in the development server's own DNS
// zone (/dev/dns), and verifies it. Provisioning: a SCIM token the provider uses.
for (const { locale, lang } of [{ locale: 'en-US', lang: 'en' }, { locale: 'de-DE', lang: 'de' }]) {
  const t = messages(lang);
  test.describe(`domains in ${lang}`, () => {
    test.use({ locale });
    test(`an owner verifies a domain by publishing its TXT record`, async ({ page, pageErrors }) => {
      test.setTimeout(180_000);
      pageErrors.expectStatus(422, 'a domain that is not one is refused, naming the field');
      const owner = uniqueEmail(`domains-${lang}`);
      const home = await activateOrganization(page, lang, `Domain Co ${lang}`, owner);
      const domain = `${owner.split('@')[0].replace(/[^a-z0-9-]/g, '-')}.example`;
      await page.goto(`${home}/settings#domains`);
      await hydrated(page);
      const section = page.locator('#domains');
      await expect(section.getByRole('heading', { name: t('domains.title') })).toBeVisible();
      await expect(section.getByText(t('domains.none'))).toBeVisible();

      // A mistake names the field and the fix, and keeps nothing.
      await section.getByLabel(t('domains.domain')).fill('not a domain');
      await section.getByRole('button', { name: t('domains.add') }).click();
      await expect(section.getByText(t('errors.verified_domain_invalid', { domain: 'not a domain' }))).toBeVisible();

      await section.getByLabel(t('domains.domain')).fill(domain.toUpperCase());
      await section.getByRole('button', { name: t('domains.add') }).click();
      const row = section.locator(`li[data-domain="${domain}"]`);
      await expect(row.getByTestId('domain-state')).toHaveText(t('domains.waiting'));
      const name = (await row.getByTestId('record-name').textContent())!;
      const value = (await row.getByTestId('record-value').textContent())!;
      expect(name).toBe(`_muster-verification.${domain}`);
      await hydrated(page);

      // Verify before publishing: what the DNS said, in words.
      await row.getByRole('button', { name: t('domains.verify') }).click();
      await expect(row.getByTestId('domain-problem')).toHaveText(t('domains.problem_missing'));
      await screenshot(page, 'identity', `${lang}-1-domains-waiting`);

      // Publish the record, then Verify.
      await page.goto('/dev/dns');
      await page.getByLabel(t('domains.record_name')).fill(name);
      await page.getByLabel(t('domains.record_value')).fill(value);
      await page.getByRole('button', { name: t('dev_dns.publish') }).click();
      await expect(page.locator('.dns-row').filter({ hasText: value })).toHaveCount(1);

      await page.goto(`${home}/settings#domains`);
      await hydrated(page);
      await page.locator(`#domains li[data-domain="${domain}"]`).getByRole('button', { name: t('domains.verify') }).click();
      const day = new Date().toISOString().slice(0, 10);
      await expect(page.locator(`#domains li[data-domain="${domain}"]`).getByTestId('domain-state'))
        .toHaveText(t('domains.verified_since', { date: day }));
      await screenshot(page, 'identity', `${lang}-2-domain-verified`);
      await screenshotOf(page.locator('#domains'), 'identity', `${lang}-domains-section`);

      // The People page's Link tab says the verified domain is allowed as well.
      await page.goto(`${home}/people`);
      await hydrated(page);
      await page.locator('summary', { hasText: t('people.add_person') }).click();
      await page.locator('label.tab', { hasText: t('people.tab_link') }).click();
      await expect(page.getByTestId('verified-domains')).toHaveText(t('domains.verified_also', { domains: domain }));
    });
  });
}

test('without JavaScript, a domain is added and verified by plain forms', async ({ browser }) => {
  test.setTimeout(180_000);
  const owner = uniqueEmail('domains-nojs');
  const live = await browser.newContext();
  const setup = await live.newPage();
  const home = await activateOrganization(setup, 'en', 'Plain Domains Co', owner);
  const cookies = await live.cookies();
  await live.close();
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const t = messages('en');
  const domain = `${owner.split('@')[0].replace(/[^a-z0-9-]/g, '-')}.example`;
  await page.goto(`${home}/settings`);
  await page.locator('#domains').getByLabel(t('domains.domain')).fill(domain);
  await page.locator('#domains').getByRole('button', { name: t('domains.add') }).click();
  const row = page.locator(`#domains li[data-domain="${domain}"]`);
  await expect(row.getByTestId('domain-state')).toHaveText(t('domains.waiting'));
  const name = (await row.getByTestId('record-name').textContent())!;
  const value = (await row.getByTestId('record-value').textContent())!;
  await page.goto('/dev/dns');
  await page.getByLabel(t('domains.record_name')).fill(name);
  await page.getByLabel(t('domains.record_value')).fill(value);
  await page.getByRole('button', { name: t('dev_dns.publish') }).click();
  await page.goto(`${home}/settings`);
  await page.locator(`#domains li[data-domain="${domain}"]`).getByRole('button', { name: t('domains.verify') }).click();
  await expect(page.locator(`#domains li[data-domain="${domain}"]`).getByTestId('domain-state')).toContainText(t('domains.verified_since', { date: '' }).trim());
  await context.close();
});

test('an owner makes a SCIM token for the identity provider, which lists the people', async ({ page, request }) => {
  test.setTimeout(180_000);
  const t = messages('en');
  const owner = uniqueEmail('scim-owner');
  const home = await activateOrganization(page, 'en', 'Provisioned Co', owner);
  await page.goto(`${home}/settings#provisioning`);
  await hydrated(page);
  const section = page.locator('#provisioning');
  await expect(section.getByRole('heading', { name: t('provisioning.title') })).toBeVisible();
  await expect(section.getByText(t('provisioning.no_tokens'))).toBeVisible();
  const url = (await section.getByTestId('scim-url').textContent())!;
  expect(url).toMatch(/\/scim\/v2$/);
  await section.getByLabel(t('provisioning.token_name')).fill('Okta');
  await section.getByRole('button', { name: t('provisioning.create_token') }).click();
  const token = await section.getByTestId('new-api-key').inputValue();
  expect(token).toMatch(/^mk_/);
  await expect(section.getByTestId('api-key-row')).toHaveCount(1);
  // The REST API's keys are listed apart, and this token is not among them.
  await expect(page.locator('#api-keys').getByTestId('api-key-row')).toHaveCount(0);
  await screenshot(page, 'identity', 'en-3-provisioning');
  await screenshotOf(section, 'identity', 'en-provisioning-section');

  // What the identity provider sees with it.
  const users = await request.get(`${url}/Users?filter=${encodeURIComponent(`userName eq "${owner}"`)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(users.status()).toBe(200);
  const body = await users.json();
  expect(body.totalResults).toBe(1);
  expect(body.Resources[0].groups[0].value).toBe('owner');
});
