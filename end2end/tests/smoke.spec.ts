import { test, expect } from './fixtures';
import { activateOrganization, hydrated, messages, uniqueEmail } from './helpers';

// Every route of the app, in the build under test: each page hydrates (the fixture also
// fails the test on any page error). This is the set `./muster test` runs against the
// build `./muster run` serves, as well as against the release build.

const t = messages('en');

test('every public page hydrates, and so do the pages for links that are not valid', async ({ page, pageErrors }) => {
  for (const path of ['/', '/signup', '/check-email', '/signin', '/signin/second-factor', '/forgot-password', '/join/sent', '/resources']) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(200);
    await hydrated(page);
  }

  // A link that is not (or no longer) valid is answered 404 with a page that says so.
  pageErrors.expectStatus(404, 'the pages below answer 404');
  for (const path of [
    '/verify-email?token=not-a-token',
    '/reset-password?token=not-a-token',
    '/activate/not-a-token',
    '/join/not-a-token',
    '/join/confirm',
    '/invitations/accept?token=not-a-token',
    '/no-such-page',
  ]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await hydrated(page);
  }
  await expect(page.getByRole('heading', { name: t('errors.page_not_found') })).toBeVisible();
});

test('an activated organization reaches "ready" live, and every signed-in page hydrates', async ({ page }) => {
  test.setTimeout(180_000);
  // The wizard, Activate Now and the live progress page up to "ready", without a reload.
  const home = await activateOrganization(page, 'en', 'Smoke Signals', uniqueEmail('smoke-owner'));
  await hydrated(page);

  // The app's own links go through the client router: the People page's part of the
  // bundle is loaded on the way, and the page is live without a full load.
  let documents = 0;
  page.on('load', () => documents++);
  await page.getByRole('link', { name: t('people.open'), exact: true }).click();
  await expect(page).toHaveURL(`${home}/people`);
  await expect(page.getByRole('heading', { name: t('people.title'), exact: true })).toBeVisible();
  expect(documents, 'the People link is followed in the page, not by a new load').toBe(0);

  for (const path of [
    home,
    `${home}/people`,
    `${home}/people/audit`,
    `${home}/settings`,
    '/notifications',
    '/account/security',
    '/account/sessions',
    '/apps',
    '/resources',
    '/',
  ]) {
    await page.goto(path);
    await hydrated(page);
  }
});

// The guard itself: a page whose browser half loads but never hydrates, silently (no
// error anywhere), must fail the test that visits it.
test('a page that silently stays static fails its test', async ({ page }) => {
  test.fail(true, 'the page-error guard must fail this test: the page never hydrates');
  await page.route('**/pkg/muster*.js', (route) =>
    route.fulfill({ contentType: 'text/javascript', body: 'export default async function () {}\nexport function hydrate() {}\n' }),
  );
  await page.goto('/signin');
  await expect(page.getByRole('heading', { name: t('auth.sign_in_title') })).toBeVisible();
});
