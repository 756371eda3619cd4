import AxeBuilder from '@axe-core/playwright';
import { expect, Locator, Page, Browser } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import * as path from 'node:path';

export const PASSWORD = 'correct horse battery';

/** A unique address per test run, so tests never collide. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/**
 * Waits until the page is hydrated: the page's own part of the split bundle has arrived
 * and hydrated (it marks <body data-hydrated>). On a 2-core machine running several
 * browser tests at once this can take more than the default 10 s.
 */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
  await expectAccessible(page);
}

/**
 * axe-core's scan of the page as it is now: no serious or critical violation. Every page
 * the suite waits to hydrate is scanned (signed in and out, in three languages).
 */
export async function expectAccessible(page: Page) {
  // label-content-name-mismatch (WCAG 2.5.3) is off by default in axe: turned on here.
  const results = await new AxeBuilder({ page })
    .options({ rules: { 'label-content-name-mismatch': { enabled: true } } })
    .analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${page.url()}`).toEqual([]);
  // Two fields of one page with the same accessible name cannot be told apart by a
  // screen reader's list of fields, nor by voice control (axe does not check this).
  const names = await page.evaluate(() => {
    const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    // Shown fields only: a closed menu's content (the user menu's language) does not count.
    const fields = [...document.querySelectorAll<HTMLElement>(
      'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=radio]), select, textarea',
    )].filter((el) => el.checkVisibility());
    return fields.map((el) => {
      const labelledBy = el.getAttribute('aria-labelledby');
      if (labelledBy) return labelledBy.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ');
      const aria = el.getAttribute('aria-label');
      if (aria) return aria.trim();
      const labels = (el as HTMLInputElement).labels;
      return labels && labels.length ? text(labels[0]) : '';
    }).filter((name) => name !== '');
  });
  const twice = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  expect(twice, `fields that share an accessible name on ${page.url()}`).toEqual([]);
}

/** Opens the dev mailbox in a new page of the same context and returns the link in the newest mail to `email`. */
export async function linkFromMailbox(page: Page, email: string, subject: string | RegExp): Promise<string> {
  const mailbox = await page.context().newPage();
  let href: string | null = null;
  for (let i = 0; i < 50 && !href; i++) {
    await mailbox.goto('/dev/mailbox');
    const mail = mailbox.locator('article.mail', { hasText: email }).filter({ hasText: subject }).first();
    if (await mail.count()) {
      href = await mail.getByRole('link').first().getAttribute('href');
    } else {
      await mailbox.waitForTimeout(200);
    }
  }
  await mailbox.close();
  expect(href, `a mail "${subject}" to ${email}`).toBeTruthy();
  return href!;
}

/** Fills in and submits the sign-up form (English labels). */
export async function submitSignUp(page: Page, name: string, email: string, password = PASSWORD) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/**
 * Opens an emailed "Confirm your email" link and confirms it with the password chosen at
 * sign-up (English labels); the person is then signed in on the home page.
 */
export async function confirmEmail(page: Page, link: string, password = PASSWORD, javaScript = true) {
  await page.goto(link);
  if (javaScript) await hydrated(page);
  await page.getByLabel('Password chosen at sign-up').fill(password);
  await page.getByRole('button', { name: 'Confirm my email' }).click();
}

/**
 * Signs in on the sign-in page (English labels): the address first ("Continue"), then,
 * for an address no organization signs in through its own provider, the password.
 */
export async function submitSignIn(page: Page, email: string, password = PASSWORD, javaScript = true) {
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/signin\?email=/);
  if (javaScript) await hydrated(page);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

// The product's own wording, so the journey checks what each language really shows (the
// pages' texts, and the mail's, which only the server holds).
export function messages(lang: string): (key: string, args?: Record<string, string>) => string {
  const read = (folder: string) => JSON.parse(readFileSync(path.join(__dirname, '../../app', folder, `${lang}.json`), 'utf8'));
  const tree = { ...read('locales'), ...read('mail_locales') };
  return (key, args = {}) => {
    let text: string = key.split('.').reduce((node: any, part) => node[part], tree);
    for (const [name, value] of Object.entries(args)) text = text.replace(`%{${name}}`, value);
    return text;
  };
}

/** Creates a pending subscription with the operator command, as sales would; returns the activation link. */
export function createSubscription(company: string, email: string, locale: string, trial = true, env: Record<string, string> = {}): string {
  const bin = process.env.MUSTER_SERVER_BIN;
  expect(bin, 'MUSTER_SERVER_BIN names the server binary (set by ./muster test)').toBeTruthy();
  const out = execFileSync(
    bin!,
    ['subscription', 'create', '--company', company, '--email', email, '--locale', locale, '--plan', 'premium',
      '--products', 'alerts,cti,decisions', ...(trial ? ['--trial'] : [])],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  const link = out.match(/Activation link: (\S+)/)?.[1];
  expect(link, out).toBeTruthy();
  return link!;
}

/** Subjects of the mails received by `email`, from the dev mailbox. */
export async function subjectsFor(page: Page, email: string, expected: number): Promise<string[]> {
  const mailbox = await page.context().newPage();
  let subjects: string[] = [];
  for (let i = 0; i < 50; i++) {
    await mailbox.goto('/dev/mailbox');
    subjects = await mailbox.locator('article.mail', { hasText: email }).locator('h2').allTextContents();
    if (subjects.length >= expected) break;
    await mailbox.waitForTimeout(200);
  }
  await mailbox.close();
  return subjects;
}

/**
 * Activates a new organization for `company` through the wizard (region eu-central-1, no
 * invitations) and signs its owner in; returns the organization's home path. `atStep` is
 * called on each of the wizard's pages, named, before it is filled in.
 */
export async function activateOrganization(
  page: Page, lang: string, company: string, owner: string, name = 'Olivia Owner',
  atStep: (step: string) => Promise<void> = async () => {},
): Promise<string> {
  const t = messages(lang);
  await page.goto(createSubscription(company, owner, lang));
  await hydrated(page);
  await atStep('region');
  await page.getByLabel(t('activation.region')).selectOption('eu-central-1');
  await page.getByRole('button', { name: t('activation.sign_up') }).click();
  await expect(page.getByRole('heading', { name: t('activation.account_title') })).toBeVisible();
  await hydrated(page);
  await atStep('account');
  await page.getByLabel(t('auth.name'), { exact: true }).fill(name);
  await page.getByLabel(t('auth.password')).fill(PASSWORD);
  await page.getByRole('button', { name: t('activation.next') }).click();
  await expect(page.getByRole('heading', { name: t('activation.invite_title') })).toBeVisible();
  await atStep('invite');
  await page.getByRole('button', { name: t('activation.skip'), exact: true }).click();
  await expect(page.getByRole('heading', { name: t('activation.review_title') })).toBeVisible();
  await atStep('review');
  await page.getByRole('button', { name: t('activation.activate_now') }).click();
  await expect(page.getByTestId('org-ready')).toBeVisible({ timeout: 30_000 });
  await hydrated(page);
  await atStep('progress');
  await page.getByLabel(t('auth.password')).fill(PASSWORD);
  await page.getByRole('button', { name: t('activation.log_in') }).click();
  await expect(page.getByRole('heading', { name: t('activation.setup_complete') })).toBeVisible({ timeout: 30_000 });
  await atStep('complete');
  await page.getByRole('link', { name: t('activation.continue') }).click();
  await expect(page).toHaveURL(/\/o\/eu-central-1\/[a-z0-9-]+$/);
  return new URL(page.url()).pathname;
}

/**
 * Starts a second Muster server, on the suite's database unless `env` names another, on a
 * free port, and waits until it answers. Returns its base URL and a stop function.
 */
export async function secondInstance(env: Record<string, string> = {}): Promise<{ url: string; stop: () => void }> {
  const bin = process.env.MUSTER_SERVER_BIN;
  expect(bin, 'MUSTER_SERVER_BIN names the server binary (set by ./muster test)').toBeTruthy();
  const port = await new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const child = spawn(bin!, [], {
    cwd: path.join(__dirname, '../..'),
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: process.env.MUSTER_SITE_ROOT ?? 'target/site',
      LEPTOS_OUTPUT_NAME: 'muster',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: 'ignore',
  });
  // Also stopped when the test fails before its own stop().
  process.on('exit', () => child.kill());
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) break;
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return { url, stop: () => child.kill() };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`the second server instance did not start (exit code ${child.exitCode})`);
}

// On the organization settings page (already open and hydrated): "Invite
// someone", the email, the role, "Send invitation"; waits for the confirmation.
export async function inviteSomeone(page: Page, email: string, role = 'VIEWER') {
  const t = messages('en');
  await page.locator('summary', { hasText: t('settings.invite_someone') }).click();
  const form = page.locator('.invite-someone');
  await form.getByLabel(t('auth.email'), { exact: true }).fill(email);
  await form.locator(`input[name="role"][value="${role}"]`).check();
  await form.getByRole('button', { name: t('settings.send_invitation'), exact: true }).click();
  await expect(page.getByTestId('invited')).toContainText(email);
}

// On an OWNER's settings page: adds `domain` under Domains, publishes its TXT record in
// the development server's DNS zone (/dev/dns), and verifies it (English labels).
export async function verifyDomain(page: Page, home: string, domain: string) {
  const t = messages('en');
  await page.goto(`${home}/settings#domains`);
  await hydrated(page);
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
  await expect(page.locator('.dns-row').filter({ hasText: value })).toHaveCount(1);
  await page.goto(`${home}/settings#domains`);
  await hydrated(page);
  await page.locator(`#domains li[data-domain="${domain}"]`).getByRole('button', { name: t('domains.verify') }).click();
  await expect(page.locator(`#domains li[data-domain="${domain}"]`).getByTestId('domain-state'))
    .toHaveText(t('domains.verified_since', { date: new Date().toISOString().slice(0, 10) }));
}

// A full-page picture under end2end/screenshots-latest/<folder>/<name>.png (ignored by git),
// so each run's journeys can be looked at afterwards. The README's few pictures live in
// docs/screenshots and are refreshed on purpose, by copying from here (CONTRIBUTING.md).
export async function screenshot(page: Page, folder: string, name: string) {
  const dir = path.join(__dirname, '../screenshots-latest', folder);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** A picture of one part of a page (a settings section), beside the full-page ones. */
export async function screenshotOf(part: Locator, folder: string, name: string) {
  const dir = path.join(__dirname, '../screenshots-latest', folder);
  mkdirSync(dir, { recursive: true });
  await part.screenshot({ path: path.join(dir, `${name}.png`) });
}

/**
 * A new, empty database on the suite's PostgreSQL server (dropped first if a previous run
 * left it); returns its DATABASE_URL. For a server instance whose workers must not share
 * jobs with the suite's server.
 */
export function freshDatabase(name: string): string {
  const suite = process.env.DATABASE_URL;
  expect(suite, 'DATABASE_URL names the suite database (set by ./muster test)').toBeTruthy();
  const admin = new URL(suite!);
  admin.pathname = '/postgres';
  for (const sql of [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `CREATE DATABASE ${name}`]) {
    execFileSync('psql', ['-q', '-d', admin.toString(), '-c', sql], { stdio: 'inherit' });
  }
  const url = new URL(suite!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The 6-digit code an authenticator app shows for a base32 secret (RFC 6238, SHA-1, 30 s), `steps` from now. */
export function totpCode(secret: string, steps = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + steps));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/**
 * Runs one SQL statement on the suite's database: for a journey that needs days to pass
 * (an invitation near its expiry), the browser test's clock.
 */
export function sql(statement: string) {
  const suite = process.env.DATABASE_URL;
  expect(suite, 'DATABASE_URL names the suite database (set by ./muster test)').toBeTruthy();
  execFileSync('psql', ['-q', '-d', suite!, '-c', statement], { stdio: 'inherit' });
}
