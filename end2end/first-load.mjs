// What a first visit to each page costs a person on a slow phone network, measured in
// Chromium (run by `./muster bench load`): cache off, the DevTools protocol's "Fast 3G"
// (1.6 Mbps down and up, 150 ms latency), from the navigation to the page's hydration mark
// (`body[data-hydrated]`, the one the browser tests wait for). For each page: every request
// made until then, the bytes they carried over the wire (as the server sent them: HTML and
// texts compressed as the browser asked, bundle files precompressed), what the bundle files
// weigh as brotli (`.br` beside each file), the first paint and the time to hydrated.
// Exits 1 when a page misses a target (FIRST_VISIT_* below) or shows an error.
//
//   node first-load.mjs <base url> <site pkg dir> <label>=<path>[@<session cookie>] ...

import { chromium } from '@playwright/test';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

const TARGETS = {
  bytes: Number(process.env.FIRST_VISIT_MAX_BYTES ?? 250_000),
  requests: Number(process.env.FIRST_VISIT_MAX_REQUESTS ?? 20),
  hydratedMs: Number(process.env.FIRST_VISIT_MAX_HYDRATED_MS ?? 2_000),
  paintMs: Number(process.env.FIRST_VISIT_MAX_PAINT_MS ?? 1_000),
};
// "Fast 3G" as the issue names it: 1.6 Mbps each way, 150 ms round trip.
const FAST_3G = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 200_000 };

const [base, pkgDir, ...pages] = process.argv.slice(2);
const size = (file) => (existsSync(file) ? statSync(file).size : 0);

// Set before any of the page's scripts run: when the page marks itself hydrated.
const watchHydration = () => {
  new MutationObserver((_, observer) => {
    if (document.body?.dataset.hydrated === 'true') {
      window.__musterHydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-gpu'] });
const rows = [];
for (const spec of pages) {
  const [label, rest] = spec.split('=');
  const [path, session] = rest.split('@');
  const context = await browser.newContext();
  if (session) {
    await context.addCookies([{ name: 'muster_session', value: session, url: base }]);
  }
  await context.addInitScript(watchHydration);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', FAST_3G);
  const requests = new Map(); // requestId -> { url, wire }
  let hydrated = false;
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!hydrated && !e.request.url.startsWith('data:')) requests.set(e.requestId, { url: e.request.url, wire: 0 });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.wire = e.encodedDataLength;
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + path, { waitUntil: 'commit', timeout: 60_000 });
  const hydratedAt = await page
    .waitForFunction(() => window.__musterHydratedAt, null, { timeout: 60_000, polling: 50 })
    .then((h) => h.jsonValue())
    .catch(() => (errors.push('not hydrated'), NaN));
  hydrated = true;
  // Whatever was asked for before the mark has arrived by now, or is counted as it is.
  await page.waitForLoadState('load').catch(() => {});
  const paint = await page.evaluate(
    () => performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint')?.startTime ?? NaN,
  );
  let wire = 0, bundleBr = 0, bundleFiles = 0;
  for (const r of requests.values()) {
    wire += r.wire;
    const url = new URL(r.url);
    if (url.pathname.startsWith('/pkg/')) {
      bundleFiles += 1;
      bundleBr += size(join(pkgDir, basename(url.pathname)) + '.br') || size(join(pkgDir, basename(url.pathname)));
    }
  }
  rows.push({ label, requests: requests.size, wire, bundleFiles, bundleBr, paint, hydratedAt, errors });
  await context.close();
}
await browser.close();

const pad = (s, n) => String(s).padStart(n);
const ms = (v) => (Number.isNaN(v) ? '—' : `${(v / 1000).toFixed(2)} s`);
console.log(
  `| ${'page (first visit, Fast 3G, cache off)'.padEnd(40)} | requests | bytes (wire) | bundle files | bundle, brotli B | first paint | hydrated |`,
);
console.log(`|${'-'.repeat(42)}|----------|--------------|--------------|------------------|-------------|----------|`);
let failed = false;
for (const r of rows) {
  const missed = [];
  if (r.requests > TARGETS.requests) missed.push(`${r.requests} requests > ${TARGETS.requests}`);
  if (r.wire > TARGETS.bytes) missed.push(`${r.wire} B > ${TARGETS.bytes} B`);
  if (!(r.hydratedAt <= TARGETS.hydratedMs)) missed.push(`hydrated ${ms(r.hydratedAt)} > ${ms(TARGETS.hydratedMs)}`);
  if (!(r.paint <= TARGETS.paintMs)) missed.push(`first paint ${ms(r.paint)} > ${ms(TARGETS.paintMs)}`);
  console.log(
    `| ${r.label.padEnd(40)} | ${pad(r.requests, 8)} | ${pad(r.wire, 12)} | ${pad(r.bundleFiles, 12)} | ${pad(r.bundleBr, 16)} | ${pad(ms(r.paint), 11)} | ${pad(ms(r.hydratedAt), 8)} |`,
  );
  if (r.errors.length) missed.push(`errors: ${r.errors.join('; ').slice(0, 300)}`);
  if (missed.length) {
    failed = true;
    console.log(`  MISSED on ${r.label}: ${missed.join('; ')}`);
  }
}
console.log(
  `Targets: ≤ ${TARGETS.requests} requests, ≤ ${TARGETS.bytes} B, first paint ≤ ${ms(TARGETS.paintMs)}, hydrated ≤ ${ms(TARGETS.hydratedMs)}.`,
);
process.exit(failed ? 1 : 0);
