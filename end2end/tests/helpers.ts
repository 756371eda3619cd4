import { expect, Page, Browser } from '@playwright/test';

export const PASSWORD = 'correct horse battery';

/** A unique address per test run, so tests never collide. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the page is hydrated (the app marks <body data-hydrated>). */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
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

/** Fills in and submits the sign-in form (English labels). */
export async function submitSignIn(page: Page, email: string, password = PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
