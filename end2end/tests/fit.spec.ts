import AxeBuilder from '@axe-core/playwright';
import { test, expect, Page } from './fixtures';
import {
  PASSWORD, activateOrganization, confirmEmail, hydrated, inviteSomeone, linkFromMailbox, messages, screenshot,
} from './helpers';

// Muster in a person's hand: every page a person can reach, at a phone's width and at a
// desktop's, with the longest values Muster accepts in the data (a 100-character company
// name, 120-character names, a 254-character address, 80-character key names, a
// 253-character domain). A page fails when it is wider than the window; every page is
// scanned by axe at both widths (`hydrated`). The mails with those values must fit a
// 320 px phone too (their HTML part).

const t = messages('en');
const WIDTHS = [390, 1280];

/** Longest accepted values. Each is checked against its limit, so the data is what it says. */
function longest(tag: string) {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const company = `Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft ${run} Vertriebs GmbH`
    .slice(0, 100);
  const person = (first: string) =>
    `${first} Konstantinopolitanische-Wolkenkratzerbaumeisterin von und zu Hohenzollern-Sigmaringen-Württemberg-Baden`
      .padEnd(120, 'x').slice(0, 120);
  // 64 characters before the @ (the limit), then labels up to 254 in all.
  const local = `${tag}.${run}.maximiliane.alexandra.konstantinopolitanische`.padEnd(64, 'x').slice(0, 64);
  const labels = ['abteilung-fuer-internationale-zusammenarbeit-und-kommunikation',
    'zentralverwaltung-der-bundesanstalt-fuer-digitale-infrastruktur'];
  let domain = `${labels.join('.')}.example`;
  while (local.length + 1 + domain.length < 254) {
    const room = 254 - local.length - 1 - domain.length - 1;
    domain = `${'niederlassung-sued'.padEnd(Math.min(room, 63), 'x').slice(0, Math.min(room, 63))}.${domain}`;
  }
  const email = `${local}@${domain}`;
  expect(company.length).toBe(100);
  expect(email.length).toBe(254);
  return {
    company,
    owner: person('Olivia'),
    viewer: person('Victor'),
    email,
    keyName: `Nachtlicher-Abgleich-mit-dem-Personalverwaltungssystem-der-Zentrale-${run}`.padEnd(80, 'x').slice(0, 80),
    // A verified-domain candidate of 253 characters (labels of at most 63).
    domain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${run.padEnd(57, 'd').slice(0, 57)}.example`.slice(0, 253),
  };
}

/**
 * The page is no wider than its window. On failure, names the elements that reach past
 * the window's right edge (the innermost ones), so the message says what to fix.
 */
async function expectFits(page: Page, what: string) {
  const found = await page.evaluate(() => {
    const inner = document.documentElement.clientWidth;
    const wide = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    const past: string[] = [];
    if (wide > inner) {
      for (const el of document.querySelectorAll<HTMLElement>('body *')) {
        if (!el.checkVisibility()) continue;
        const right = el.getBoundingClientRect().right;
        // Innermost culprits: an element that reaches past while none of its children
        // does, or one whose own text is wider than the element and spills out.
        const reaches = right > inner + 0.5
          && ![...el.children].some((c) => c.getBoundingClientRect().right > inner + 0.5);
        const spills = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
          && getComputedStyle(el).overflowX === 'visible';
        if (reaches || spills) {
          const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(/\s+/).join('.')}` : '';
          past.push(`${el.tagName.toLowerCase()}${cls} (${spills ? 'text to' : 'to'} ${Math.round(Math.max(right, el.getBoundingClientRect().left + el.scrollWidth))} px)`);
        }
      }
    }
    return { inner, wide, past: past.slice(0, 6) };
  });
  expect.soft(found.wide, `${what} at ${found.inner} px is ${found.wide} px wide: ${found.past.join(', ')}`)
    .toBeLessThanOrEqual(found.inner);
}

/** Every top-bar menu opens inside the window, one at a time. */
async function expectMenusFit(page: Page, what: string) {
  const menus = page.locator('header.topbar details.menu');
  const count = await menus.count();
  for (let i = 0; i < count; i++) {
    const menu = menus.nth(i);
    await menu.locator('summary').click();
    const panel = menu.locator('.menu-panel');
    await expect(panel).toBeVisible();
    const box = (await panel.boundingBox())!;
    const width = page.viewportSize()!.width;
    expect.soft(box.x, `${what}: menu ${i + 1} starts inside the window`).toBeGreaterThanOrEqual(0);
    expect.soft(box.x + box.width, `${what}: menu ${i + 1} ends inside the window`).toBeLessThanOrEqual(width);
    await expectFits(page, `${what} with menu ${i + 1} open`);
    await menu.locator('summary').click();
  }
}

/**
 * Every control can be hit by a finger: axe's target-size (WCAG 2.2, 2.5.8: at least
 * 24 × 24 px, or that much room around it), which axe leaves off unless asked.
 */
async function expectTargets(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withRules(['target-size']).analyze();
  const small = results.violations.flatMap((v) => v.nodes.map((n) => n.target.join(' ')));
  expect.soft(small, `targets under 24 × 24 px on ${what}`).toEqual([]);
}

/** Visits each path at each width: it hydrates, passes axe, fits, and its targets are big enough. */
async function look(page: Page, who: string, paths: string[]) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    for (const path of paths) {
      await page.goto(path);
      await hydrated(page);
      await expectFits(page, `${who} ${path}`);
      await expectTargets(page, `${who} ${path} at ${width} px`);
    }
  }
}

test('every public page, and the activation wizard with a 100-character company name, fit a phone and a desktop', async ({ page: visitor, browser, pageErrors }) => {
  test.setTimeout(240_000);
  pageErrors.expectStatus(404, 'the page for a link that is not valid answers 404');
  await look(visitor, 'signed out', ['/', '/signup', '/check-email', '/signin', '/signin/second-factor',
    '/forgot-password', '/join/sent', '/resources', '/join/not-a-token']);

  for (const width of WIDTHS) {
    const data = longest(`wizard${width}`);
    const context = await browser.newContext({ locale: 'en-US', viewport: { width, height: 900 } });
    const page = await context.newPage();
    await activateOrganization(page, 'en', data.company, data.email, data.owner, async (step) => {
      await hydrated(page);
      await expectFits(page, `the wizard's ${step} step`);
      if (step === 'region' || step === 'review') await screenshot(page, 'fit', `wizard-${step}-${width}`);
    });
    await hydrated(page);
    await expectFits(page, 'the organization home after activation');
    await context.close();
  }
});

test('every signed-in page fits a phone and a desktop, for an OWNER and a VIEWER, with the longest values', async ({ browser, pageErrors }) => {
  test.setTimeout(360_000);
  pageErrors.expectStatus(403, 'a VIEWER may not read the audit log: the page says so');
  const data = longest('owner');
  const ownerContext = await browser.newContext({ locale: 'en-US' });
  const owner = await ownerContext.newPage();
  const home = await activateOrganization(owner, 'en', data.company, data.email, data.owner);

  // On the settings page: an API key, a SCIM token and a domain, each with its longest name.
  await owner.goto(`${home}/settings`);
  await hydrated(owner);
  const keys = owner.locator('#api-keys');
  await keys.getByLabel(t('settings.key_name'), { exact: true }).fill(data.keyName);
  await keys.getByRole('button', { name: t('settings.create_key'), exact: true }).click();
  await expect(owner.getByTestId('new-api-key')).toBeVisible();
  const domains = owner.locator('#domains');
  await domains.getByLabel(t('domains.domain')).fill(data.domain);
  await domains.getByRole('button', { name: t('domains.add') }).click();
  await expect(domains.locator(`li[data-domain="${data.domain}"]`)).toBeVisible();

  // A VIEWER with the longest name and address, invited, signed up and joined.
  const viewer = longest('viewer');
  await inviteSomeone(owner, viewer.email, 'VIEWER');
  const signup = await owner.getByTestId('signup-link').getAttribute('href');
  const viewerContext = await browser.newContext({ locale: 'en-US' });
  const v = await viewerContext.newPage();
  await v.goto(signup!);
  await hydrated(v);
  await v.getByLabel('Name').fill(viewer.viewer);
  await v.getByLabel('Password').fill(PASSWORD);
  await v.getByRole('button', { name: 'Create account' }).click();
  await expect(v.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await confirmEmail(v, await linkFromMailbox(v, viewer.email, 'Confirm your email for Muster'));
  await expect(v.getByTestId('bell-count')).toHaveText('1');
  await v.getByTestId('bell').click();
  await v.locator('.bell').getByRole('link', { name: t('notifications.invited_you', { org: data.company, role: t('roles.viewer') }) }).click();
  await hydrated(v);
  await v.getByRole('button', { name: t('notifications.join') }).click();
  await expect(v).toHaveURL(new RegExp(`${home}$`));

  // The mails that carry the longest values (the owner's welcome, the invitation to the
  // longest address), as their HTML part shows them on a 320 px phone, and the mailbox.
  const mailbox = await ownerContext.newPage();
  await mailbox.setViewportSize({ width: 320, height: 800 });
  for (const address of [data.email, viewer.email]) {
    await mailbox.goto('/dev/mailbox');
    await expectFits(mailbox, 'the development mailbox');
    const parts = await mailbox.locator('article.mail', { hasText: address }).locator('a.mail-html')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    expect(parts.length, `mails to ${address.slice(0, 20)}…`).toBeGreaterThan(0);
    for (const part of parts) {
      await mailbox.goto(part);
      await expectFits(mailbox, `the HTML part of mail ${part}`);
    }
  }
  await mailbox.close();

  const signedIn = ['/', home, `${home}/people`, `${home}/people/audit`, `${home}/settings`,
    '/notifications', '/account/security', '/account/sessions', '/apps', '/resources'];
  await look(owner, 'OWNER', signedIn);
  await look(v, 'VIEWER', signedIn);

  // The top bar folds at a phone's width: each of its menus opens inside the window.
  for (const [page, who] of [[owner, 'OWNER'], [v, 'VIEWER']] as const) {
    await page.setViewportSize({ width: 390, height: 900 });
    await page.goto(`${home}/people`);
    await hydrated(page);
    await expectMenusFit(page, `${who} on People at 390 px`);
  }

  // A row's More Options, on a phone: it opens inside its row, whole, and the page fits.
  await owner.goto(`${home}/people`);
  await hydrated(owner);
  await owner.locator('table.people .more-options > a').last().click();
  const options = owner.getByTestId('more-options');
  await expect(options).toBeVisible();
  await options.scrollIntoViewIfNeeded();
  const frame = (await owner.locator('.table-frame').boundingBox())!;
  const panel = (await options.boundingBox())!;
  expect(panel.y + panel.height, 'More Options ends inside the table').toBeLessThanOrEqual(frame.y + frame.height + 1);
  await expectFits(owner, 'People at 390 px with More Options open');

  for (const width of WIDTHS) {
    await owner.setViewportSize({ width, height: 900 });
    for (const [name, path] of [['people', `${home}/people`], ['settings', `${home}/settings`], ['home', home]]) {
      await owner.goto(path);
      await hydrated(owner);
      await screenshot(owner, 'fit', `${name}-${width}`);
    }
  }
  await viewerContext.close();
  await ownerContext.close();
});
