import { test, expect } from './fixtures';
import { activateOrganization, hydrated, linkFromMailbox, messages, screenshot, uniqueEmail } from './helpers';

// Importing people from a CSV file: the dry run shows each row's outcome before anything
// is written; Import then adds the good rows and invites them; the rejected rows come
// back as a file. The upload is a plain form: it works without JavaScript too.

function csvFile(rows: string[]): { name: string; mimeType: string; buffer: Buffer } {
  return { name: 'new-team.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n', 'utf8') };
}

test('en: a CSV with good, bad and duplicate rows gives its dry run, then an import', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const t = messages('en');
  const home = await activateOrganization(page, 'en', 'Import Works', uniqueEmail('owner-import'));
  await page.goto(`${home}/people`);
  await hydrated(page);
  await page.getByTestId('import-people').click();
  await expect(page.getByRole('heading', { name: t('import.title') })).toBeVisible();
  await hydrated(page);
  const ana = uniqueEmail('ana');
  const ben = uniqueEmail('ben');
  await page.getByLabel(t('import.file')).setInputFiles(csvFile([
    'Name,Email,Role',
    `Ana Lopez,${ana},Editor`,
    `Ben Okafor,${ben},`,
    'Broken Row,not-an-address,Viewer',
    `Ana Again,${ana.toUpperCase()},Viewer`,
    '=HYPERLINK("http://evil.test"),x,Boss',
  ]));
  await expect(page.getByLabel(t('import.invite_now'))).toBeChecked();
  await page.getByRole('button', { name: t('import.check') }).click();

  await expect(page.getByRole('heading', { name: t('import.report_title') })).toBeVisible();
  await hydrated(page);
  const totals = page.getByTestId('import-totals');
  const total = (code: string) => totals.locator(`[data-outcome="${code}"] dd`);
  await expect(total('add')).toHaveText('2');
  await expect(total('invalid')).toHaveText('2');
  await expect(total('duplicate')).toHaveText('1');
  await expect(total('unchanged')).toHaveText('0');
  const rows = page.getByTestId('import-rows');
  await expect(rows.locator('tr[data-outcome="invalid"]', { hasText: 'not-an-address' })).toContainText('Email: enter an address like name@example.com.');
  await expect(rows.locator('tr[data-outcome="duplicate"]')).toContainText(t('import.reason_duplicate', { line: '2' }));
  await expect(rows.locator('tr[data-outcome="add"]', { hasText: ben })).toContainText(t('roles.viewer'));
  await screenshot(page, 'import', 'en-1-dry-run');

  // The rejected rows, as a spreadsheet would open them: no formula runs.
  const href = await page.getByTestId('rejected-csv').getAttribute('href');
  const rejected = await page.request.get(href!);
  expect(rejected.status()).toBe(200);
  const text = await rejected.text();
  expect(text).toContain("'=HYPERLINK(");
  expect(text).toContain(t('import.reason_duplicate', { line: '2' }));

  // Nothing is written until Import.
  await page.goto(`${home}/people`);
  await hydrated(page);
  await expect(page.locator('tr', { hasText: ana })).toHaveCount(0);
  await page.goBack();
  await hydrated(page);

  await page.getByTestId('import-button').click();
  await expect(page.getByTestId('import-done')).toHaveText(t('import.imported_invited', { count: '2' }), { timeout: 60_000 });
  await screenshot(page, 'import', 'en-2-imported');
  await page.goto(`${home}/people`);
  await hydrated(page);
  await expect(page.locator('tr', { hasText: ana })).toContainText(t('roles.editor'));
  await expect(page.locator('tr', { hasText: ben })).toBeVisible();
  // Invited at once: Ben's invitation is in the mailbox.
  expect(await linkFromMailbox(page, ben, t('email.invitation.subject', { inviter: 'Olivia Owner', org: 'Import Works' }))).toContain('/invitations/accept');

  // Without JavaScript: the same upload and import with plain forms (a file a French
  // spreadsheet saved: French headers and roles, semicolons).
  const fr = t;
  const plain = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const p = await plain.newPage();
  await p.goto(`${home}/people/import`);
  await p.getByLabel(fr('import.file')).setInputFiles(csvFile(['Nom;Adresse e-mail;Rôle', `Chloé;${uniqueEmail('chloe')};Lecteur`, `Ana;${ana};Éditeur`]));
  await p.getByLabel(fr('import.invite_later')).check();
  await p.getByRole('button', { name: fr('import.check') }).click();
  await expect(p.getByRole('heading', { name: fr('import.report_title') })).toBeVisible();
  await expect(p.getByTestId('import-totals').locator('[data-outcome="add"] dd')).toHaveText('1');
  await expect(p.getByTestId('import-totals').locator('[data-outcome="unchanged"] dd')).toHaveText('1');
  await p.getByTestId('import-button').click();
  for (let i = 0; i < 60 && (await p.getByTestId('import-done').count()) === 0; i++) {
    await p.waitForTimeout(500);
    await p.reload();
  }
  await expect(p.getByTestId('import-done')).toHaveText(fr('import.imported', { count: '1' }));
  await plain.close();
});

test('en: the audit log of a range exports as CSV in the background, and the export is audited', async ({ page }) => {
  test.setTimeout(180_000);
  const t = messages('en');
  const home = await activateOrganization(page, 'en', 'Export Works', uniqueEmail('owner-export'));
  // The log of its own exports: the export holds the entries up to its own request.
  await page.goto(`${home}/people/audit?action=audit_exported`);
  await hydrated(page);
  const exports = page.getByTestId('audit-exports');
  await exports.getByLabel(t('audit.export_format')).selectOption('csv');
  await exports.getByRole('button', { name: t('audit.export'), exact: true }).click();
  const item = exports.getByTestId('audit-export').first();
  await expect(item).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await hydrated(page);
  await expect(item).toContainText('action=audit_exported');
  await screenshot(page, 'import', 'en-3-audit-export');
  const download = await page.request.get((await item.getByRole('link', { name: t('audit.export_download') }).getAttribute('href'))!);
  expect(download.status()).toBe(200);
  const lines = (await download.text()).trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toBe('id,at,actor,action,subject,detail');
  expect(lines[1]).toContain(',Olivia Owner,audit_exported,csv,action=audit_exported');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('td[data-action="audit.audit_exported"]')).toHaveCount(1);
});
