import { test, expect, Page } from './fixtures';
import { PASSWORD, createSubscription, freshDatabase, hydrated, linkFromMailbox, messages, screenshot, secondInstance, subjectsFor, uniqueEmail } from './helpers';

const shot = (page: Page, lang: string, step: string) => screenshot(page, 'activation', `${lang}-${step}`);

for (const { locale, lang } of [
  { locale: 'en-US', lang: 'en' },
  { locale: 'fr-FR', lang: 'fr' },
  { locale: 'de-DE', lang: 'de' },
]) {
  test.describe(`activation in ${lang}`, () => {
    test.use({ locale });

    test('from the activation link through every step to a live organization', async ({ page }) => {
      // The longest journey in the suite (wizard, activation, people, invitation, mail).
      test.setTimeout(180_000);
      const t = messages(lang);
      const owner = uniqueEmail(`owner-${lang}`);
      const invitee = uniqueEmail(`invitee-${lang}`);
      const link = createSubscription('Müller & Söhne', owner, lang);

      // The activation email arrived, in the contact's language.
      expect(await subjectsFor(page, owner, 1)).toContain(t('email.activate.subject'));

      // 1. Region, then "Sign Up".
      await page.goto(link);
      await hydrated(page);
      await expect(page.getByRole('heading', { name: t('activation.region_title') })).toBeVisible();
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await shot(page, lang, '1-region');
      await page.getByLabel(t('activation.region')).selectOption('eu-central-2');
      await page.getByRole('button', { name: t('activation.sign_up') }).click();

      // 2. Basic information; the short name is shown live while typing.
      await expect(page.getByRole('heading', { name: t('activation.account_title') })).toBeVisible();
      await hydrated(page);
      await expect(page.getByLabel(t('auth.email'))).toHaveValue(owner);
      const company = page.getByLabel(t('activation.company_name'));
      await expect(company).toHaveValue('Müller & Söhne');
      await company.fill('Müller & Söhne Kaffee');
      await expect(page.locator('#short-name-preview .short-name')).toHaveText(/^mullersohnekaffee\d*$/);
      // Cleared, the hint says what to do, and nothing fails on the way (no 4xx call).
      const failed: string[] = [];
      page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
      await company.fill('');
      await expect(page.getByTestId('short-name-problem')).toHaveText(t('errors.company_required'));
      expect(failed).toEqual([]);
      await company.fill('Müller & Söhne');
      await expect(page.locator('#short-name-preview .short-name')).toHaveText(/^mullersohne\d*$/);
      await page.getByLabel(t('auth.name'), { exact: true }).fill('Olivia Owner');
      await page.getByLabel(t('auth.password')).fill(PASSWORD);
      await shot(page, lang, '2-basic-information');
      await page.getByRole('button', { name: t('activation.next') }).click();

      // 3. Invite others; a refresh and the back button keep everything.
      await expect(page.getByRole('heading', { name: t('activation.invite_title') })).toBeVisible();
      await page.reload();
      await expect(page.getByRole('heading', { name: t('activation.invite_title') })).toBeVisible();
      await page.goBack();
      await expect(page.getByRole('heading', { name: t('activation.account_title') })).toBeVisible();
      await expect(page.getByText(t('activation.account_created'))).toBeVisible();
      await page.goForward();
      await expect(page.getByRole('heading', { name: t('activation.invite_title') })).toBeVisible();
      await hydrated(page);
      await page.getByLabel(t('auth.email')).fill(invitee);
      await page.getByLabel(t('activation.role')).selectOption('ADMIN');
      await page.getByRole('button', { name: t('activation.add_invite') }).click();
      await expect(page.locator('.invite-row', { hasText: invitee })).toContainText(t('roles.admin'));
      await shot(page, lang, '3-invite-others');
      await page.getByRole('button', { name: t('activation.next') }).click();

      // 4. Review, then "Activate Now".
      await expect(page.getByRole('heading', { name: t('activation.review_title') })).toBeVisible();
      await expect(page.locator('.summary .short-name')).toHaveText(/^mullersohne\d*$/);
      await shot(page, lang, '4-activate-now');
      await page.getByRole('button', { name: t('activation.activate_now') }).click();

      // 5. Live progress, then "Log In" with the email and password from step 2.
      await expect(page.getByRole('heading', { name: t('activation.progress_title') })).toBeVisible();
      // Activation runs in the background; on a busy machine it can take a while.
      await expect(page.getByTestId('org-ready')).toBeVisible({ timeout: 30_000 });
      await hydrated(page);
      await shot(page, lang, '5-progress');
      await expect(page.getByLabel(t('auth.email'))).toHaveValue(owner);
      await page.getByLabel(t('auth.password')).fill(PASSWORD);
      await page.getByRole('button', { name: t('activation.log_in') }).click();

      // 6. "Setup complete", then "Continue" to the organization, as its OWNER.
      await expect(page.getByRole('heading', { name: t('activation.setup_complete') })).toBeVisible({ timeout: 30_000 });
      await shot(page, lang, '6-setup-complete');
      await page.getByRole('link', { name: t('activation.continue') }).click();
      // The preview can change if another activation took the name meanwhile (the tests run
      // in parallel with the same company name): the final one gets a number.
      await expect(page).toHaveURL(/\/o\/eu-central-2\/mullersohne\d*$/);
      await expect(page.getByRole('heading', { name: 'Müller & Söhne' })).toBeVisible();
      await expect(page.getByText(t('org.your_role', { role: t('roles.owner') }))).toBeVisible();
      await expect(page.locator('.invite-row', { hasText: invitee })).toBeVisible();
      await expect(page.locator('.org-switcher summary')).toContainText('Müller & Söhne');
      await shot(page, lang, '7-organization-home');

      // Admin > People: Add Person with "send now"; the row shows the pending invitation.
      const added = uniqueEmail(`added-${lang}`);
      await page.getByRole('link', { name: t('people.open') }).click();
      await expect(page.getByRole('heading', { name: t('people.title') })).toBeVisible();
      await hydrated(page);
      await page.locator('summary', { hasText: t('people.add_person') }).click();
      await expect(page.getByRole('heading', { name: t('people.add_title') })).toBeVisible();
      const addForm = page.locator('.panel-email');
      await addForm.getByLabel(t('auth.name'), { exact: true }).fill('Paula Person');
      await addForm.getByLabel(t('auth.email'), { exact: true }).fill(added);
      await addForm.getByLabel(t('activation.role'), { exact: true }).selectOption('EDITOR');
      await addForm.getByRole('button', { name: t('people.add'), exact: true }).click();
      const addedRow = page.locator('tr', { hasText: added });
      await expect(addedRow).toContainText(t('people.invitation_pending'));
      await expect(addedRow).toContainText(t('people.active'));
      await shot(page, lang, '8-people');
      expect(await subjectsFor(page, added, 1)).toContain(t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Müller & Söhne' }));

      // Both emails, in the activating person's language; the invitation went out too.
      const subjects = await subjectsFor(page, owner, 3);
      expect(subjects).toContain(t('email.thanks.subject'));
      expect(subjects).toContain(t('email.welcome.subject'));
      expect((await subjectsFor(page, invitee, 1)).length).toBe(1);

      // The invitee sets a password from the invitation email and lands in the organization.
      const invitation = await linkFromMailbox(page, invitee, t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Müller & Söhne' }));
      const inviteeContext = await page.context().browser()!.newContext({ locale });
      const inviteePage = await inviteeContext.newPage();
      await inviteePage.goto(invitation);
      await hydrated(inviteePage);
      await expect(inviteePage.getByRole('heading', { name: t('invitations.join_title', { org: 'Müller & Söhne' }) })).toBeVisible();
      await inviteePage.getByLabel(t('auth.name'), { exact: true }).fill('Ivan Invitee');
      await inviteePage.getByLabel(t('auth.password')).fill(PASSWORD);
      await inviteePage.getByRole('button', { name: t('invitations.set_password_and_join') }).click();
      await expect(inviteePage.getByText(t('org.your_role', { role: t('roles.admin') }))).toBeVisible();
      await inviteeContext.close();

      // The used link now says the organization is already activated.
      const again = await page.context().browser()!.newPage({ locale });
      await again.goto(link);
      await expect(again.getByRole('heading', { name: t('activation.already_title') })).toBeVisible();
      await again.close();
    });
  });
}

// The wizard's first three steps in English, as plain forms: region, "Sign Up", name and
// password, "Next", no invitations; ends on the review step.
async function wizardUpToReview(page: Page, link: string, region: string, name: string) {
  const t = messages('en');
  await page.goto(link);
  await page.getByLabel(t('activation.region')).selectOption(region);
  await page.getByRole('button', { name: t('activation.sign_up') }).click();
  await page.getByLabel(t('auth.name'), { exact: true }).fill(name);
  await page.getByLabel(t('auth.password')).fill(PASSWORD);
  await page.getByRole('button', { name: t('activation.next') }).click();
  await page.getByRole('button', { name: t('activation.skip') }).click();
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the wizard still works and the progress page refreshes itself until ready', async ({ page }) => {
    const t = messages('en');
    const owner = uniqueEmail('nojs-owner');
    const link = createSubscription('No Script Ltd', owner, 'en', false);
    await wizardUpToReview(page, link, 'us-east-1', 'Nora No-Script');
    await expect(page.locator('.summary .short-name')).toHaveText(/^noscriptltd\d*$/);
    await page.getByRole('button', { name: t('activation.activate_now') }).click();
    await expect(page.getByTestId('org-ready')).toBeVisible({ timeout: 30_000 });
    // The page refreshes itself while the job runs; type once it has finished.
    await expect(page.locator('[data-job-step="send_welcome"]')).toHaveClass(/done/, { timeout: 15_000 });
    await page.getByLabel(t('auth.password')).fill(PASSWORD);
    await page.getByRole('button', { name: t('activation.log_in') }).click();
    await expect(page.getByRole('heading', { name: t('activation.setup_complete') })).toBeVisible({ timeout: 15_000 });
    await page.getByRole('link', { name: t('activation.continue') }).click();
    await expect(page.getByRole('heading', { name: 'No Script Ltd' })).toBeVisible();

    // People, Add Person, More Options and Change role are plain links and forms.
    await page.goto(`${new URL(page.url()).pathname}/people`);
    await page.locator('summary', { hasText: t('people.add_person') }).click();
    const form = page.locator('.panel-email');
    const nico = uniqueEmail('nojs-nico');
    await form.getByLabel(t('auth.name'), { exact: true }).fill('Nico Later');
    await form.getByLabel(t('auth.email'), { exact: true }).fill(nico);
    await form.getByLabel(t('activation.role'), { exact: true }).selectOption('VIEWER');
    await form.getByLabel(t('people.send_now')).uncheck();
    await page.getByRole('button', { name: t('people.add'), exact: true }).click();
    const row = page.locator('tr', { hasText: nico });
    await expect(row).toContainText(t('roles.viewer'));
    await row.getByRole('link', { name: t('people.more_options_for', { name: 'Nico Later' }) }).click();
    const menu = page.getByTestId('more-options');
    await menu.getByLabel(t('people.change_role')).selectOption('EDITOR');
    await menu.getByRole('button', { name: t('people.change_role') }).click();
    await expect(row).toContainText(t('roles.editor'));
    await expect(page.getByTestId('more-options')).toHaveCount(0);
  });

  // A server of its own, on a database of its own (so the suite's server never takes its
  // jobs), where "send the welcome emails" fails its first three attempts and a step
  // is tried twice: the first activation fails, "Try again" then succeeds on its second
  // attempt. Each state arrives a second or more after the page was rendered, so only
  // the page's own refresh can show it.
  test('the progress page refreshes itself until activation has failed, and after "Try again" until it is ready', async ({ page }) => {
    test.setTimeout(120_000);
    const t = messages('en');
    const env = {
      DATABASE_URL: freshDatabase('muster_e2e_slow_activation'),
      MUSTER_FAIL_ACTIVATION_STEP: 'send_welcome:3',
      ACTIVATION_MAX_ATTEMPTS: '2',
      ACTIVATION_RETRY_MS: '1500',
    };
    const server = await secondInstance(env);
    try {
      const owner = uniqueEmail('nojs-slow');
      const link = new URL(createSubscription('Slow Start Ltd', owner, 'en', false, env));
      await wizardUpToReview(page, `${server.url}${link.pathname}`, 'eu-central-1', 'Sam Slow');

      // Every load of the progress page, whether the browser or the test asked for it.
      let loads = 0;
      page.on('load', () => { if (page.url().endsWith('/progress')) loads++; });
      await page.getByRole('button', { name: t('activation.activate_now') }).click();
      await expect(page.getByRole('heading', { name: t('activation.progress_title') })).toBeVisible();
      // Rendered while the job runs: not failed yet.
      await expect(page.locator('[data-job-step="send_welcome"]')).not.toHaveClass(/done|failed/);
      await expect(page.getByTestId('activation-failed')).toHaveCount(0);
      const rendered = loads;

      // Failed, without anyone reloading: the page refreshed itself.
      await expect(page.getByTestId('activation-failed')).toBeVisible({ timeout: 30_000 });
      expect(loads).toBeGreaterThan(rendered);
      // Then it stops refreshing: the Organization ID stays on screen for support.
      const settled = loads;
      await page.waitForTimeout(5_000);
      expect(loads).toBe(settled);

      await page.getByRole('button', { name: t('activation.try_again') }).click();
      await expect(page.getByTestId('org-ready')).toBeVisible({ timeout: 30_000 });
      await expect(page.locator('[data-job-step="send_welcome"]')).toHaveClass(/done/);
      expect(loads).toBeGreaterThan(settled + 1);
      const ready = loads;
      await page.waitForTimeout(5_000);
      expect(loads).toBe(ready);
      await page.getByLabel(t('auth.password')).fill(PASSWORD);
      await page.getByRole('button', { name: t('activation.log_in') }).click();
      await expect(page.getByRole('heading', { name: t('activation.setup_complete') })).toBeVisible({ timeout: 15_000 });
    } finally {
      server.stop();
    }
  });
});
