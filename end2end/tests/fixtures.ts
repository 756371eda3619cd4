import { test as base, expect, Browser, BrowserContext, Page } from '@playwright/test';

export { expect };
export type { Page };

/**
 * Console errors a journey provokes on purpose, each with its reason. Anything else a page
 * logs as an error fails the test, as does any uncaught exception (`pageerror`).
 */
export interface ExpectedError {
  pattern: RegExp;
  why: string;
}

/**
 * What every browser test checks besides its own assertions, in every page of every
 * context it opens (including `browser.newContext()`):
 * - no uncaught exception, and no console error unless the test named it with
 *   `pageErrors.expect(...)`;
 * - every Muster page that is still open when the test ends, in a context with JavaScript,
 *   is hydrated (`<body data-hydrated>`): a page that silently stays static fails;
 * - every Muster page the test loaded and stayed on for `STATIC_LIMIT_MS` is hydrated by
 *   then (pages the test left sooner are checked by the smoke test, which visits every route).
 */
export class PageErrors {
  private readonly errors: string[] = [];
  private readonly consoleErrors: { url: string; text: string }[] = [];
  private readonly expected: ExpectedError[] = [];
  private readonly checks: Promise<void>[] = [];
  readonly pages: { page: Page; javaScript: boolean }[] = [];

  /** Names a console error this test provokes on purpose. */
  expect(pattern: RegExp, why: string) {
    this.expected.push({ pattern, why });
  }

  /**
   * Names an HTTP error status that this test provokes on purpose: the browser logs every
   * such answer, to a page or to a server-function call, as a console error.
   */
  expectStatus(status: number, why: string) {
    this.expect(new RegExp(`the server responded with a status of ${status}\\b`), why);
  }

  watch(context: BrowserContext, javaScript: boolean) {
    for (const page of context.pages()) this.watchPage(page, javaScript);
    context.on('page', (page) => this.watchPage(page, javaScript));
  }

  private watchPage(page: Page, javaScript: boolean) {
    this.pages.push({ page, javaScript });
    page.on('pageerror', (error) => this.errors.push(`uncaught exception on ${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      this.consoleErrors.push({ url: page.url(), text: message.text() });
    });
    if (javaScript) {
      page.on('load', () => this.checks.push(this.staysStaticFor(page)));
    }
  }

  /**
   * Fails when a loaded Muster page is still not hydrated after STATIC_LIMIT_MS. A locator
   * wait, not `waitForFunction`: that one resolves to a handle, and a handle arriving while
   * the test closes its context breaks Playwright's connection (seen as a hung test).
   */
  private async staysStaticFor(page: Page) {
    const url = page.url();
    try {
      // A page that is not Muster's (the mailbox, another site) has nothing to hydrate.
      await page
        .locator('body[data-hydrated="true"], head:not(:has(link#leptos))')
        .first()
        .waitFor({ state: 'attached', timeout: STATIC_LIMIT_MS });
    } catch (e) {
      // The test went on to another page (or closed it) first: nothing to judge here.
      if (e instanceof Error && e.name === 'TimeoutError' && !page.isClosed() && page.url() === url) {
        this.errors.push(`${url} was still not hydrated after ${STATIC_LIMIT_MS / 1000} s`);
      }
    }
  }

  async finish() {
    // The page the test ended on must be live, if JavaScript was on.
    for (const { page, javaScript } of this.pages) {
      if (!javaScript || page.isClosed()) continue;
      const muster = await page.evaluate(() => document.querySelector('link#leptos') !== null).catch(() => false);
      if (!muster) continue;
      try {
        await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 30_000 });
      } catch {
        this.errors.push(`${page.url()} never hydrated: it stayed a static page`);
      }
    }
    await Promise.all(this.checks);
    // Named at any point of the test, before or after the error.
    for (const { url, text } of this.consoleErrors) {
      if (!this.expected.some((e) => e.pattern.test(text))) this.errors.push(`console error on ${url}: ${text}`);
    }
    expect(this.errors, 'page errors and unexpected console errors').toEqual([]);
  }
}

/** A page left static this long by a test that stays on it has failed to hydrate. */
const STATIC_LIMIT_MS = 30_000;

/**
 * Playwright's `test` with the page-error guard on every test. Tests import `test` and
 * `expect` from here, never from '@playwright/test'.
 */
export const test = base.extend<{ pageErrors: PageErrors }>({
  pageErrors: [
    async ({ context, browser, javaScriptEnabled }, use) => {
      const guard = new PageErrors();
      guard.watch(context, javaScriptEnabled !== false);
      const restore = watchNewContexts(browser, guard);
      await use(guard);
      restore();
      await guard.finish();
    },
    { auto: true },
  ],
});

/**
 * Contexts a test opens itself are watched too (`browser.newPage()` goes through
 * `newContext`).
 */
function watchNewContexts(browser: Browser, guard: PageErrors): () => void {
  const newContext = browser.newContext;
  browser.newContext = async function (options) {
    const context = await newContext.call(browser, options);
    guard.watch(context, options?.javaScriptEnabled !== false);
    return context;
  };
  return () => {
    browser.newContext = newContext;
  };
}
