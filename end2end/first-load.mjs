// What a first visit to each page downloads of the browser bundle, measured in Chromium
// (run by `./muster bench load`): every /pkg/ file the page requests until it is hydrated,
// with its size raw, gzip and brotli as the server has it precompressed on disk.
//
//   node first-load.mjs <base url> <site pkg dir> <label>=<path>[@<session cookie>] ...

import { chromium } from '@playwright/test';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const [base, pkgDir, ...pages] = process.argv.slice(2);
const size = (file) => (existsSync(file) ? statSync(file).size : 0);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-gpu'] });
const rows = [];
for (const spec of pages) {
  const [label, rest] = spec.split('=');
  const [path, session] = rest.split('@');
  const context = await browser.newContext();
  if (session) {
    await context.addCookies([{ name: 'muster_session', value: session, url: base }]);
  }
  const page = await context.newPage();
  const files = new Set();
  const errors = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/pkg/') && /\.(wasm|js)$/.test(url.pathname)) files.add(basename(url.pathname));
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + path);
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 }).catch(() => errors.push('not hydrated'));
  await page.waitForLoadState('networkidle');
  let raw = 0, gz = 0, br = 0;
  for (const f of files) {
    const file = join(pkgDir, f);
    raw += size(file);
    gz += size(file + '.gz');
    br += size(file + '.br');
  }
  rows.push({ label, files: files.size, raw, gz, br, errors });
  await context.close();
}
await browser.close();

const pad = (s, n) => String(s).padStart(n);
console.log(`| ${'page (first visit)'.padEnd(40)} | files |  raw B     | gzip B    | brotli B  |`);
console.log(`|${'-'.repeat(42)}|-------|------------|-----------|-----------|`);
let failed = false;
for (const r of rows) {
  console.log(`| ${r.label.padEnd(40)} | ${pad(r.files, 5)} | ${pad(r.raw, 10)} | ${pad(r.gz, 9)} | ${pad(r.br, 9)} |`);
  if (r.errors.length) {
    failed = true;
    console.log(`  errors on ${r.label}: ${r.errors.join('; ').slice(0, 300)}`);
  }
}
process.exit(failed ? 1 : 0);
