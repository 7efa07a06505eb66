import { randomBytes } from 'node:crypto';
import { type Browser, type BrowserContext, expect, type Page } from '@playwright/test';
import { readWorld } from '../harness';

/** Steps a person takes in the dashboard, written once for every spec. */
export const PASSWORD = 'correct horse battery';

export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}@example.test`;
}

export function uniqueSlug(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

export async function newUserContext(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: readWorld().web });
  return { context, page: await context.newPage() };
}

export async function signUp(page: Page, email: string, next?: string): Promise<void> {
  await page.goto(next ? `/sign-up?next=${encodeURIComponent(next)}` : '/sign-up');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).not.toHaveURL(/\/sign-up/);
}

export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** The form's error message (Next.js keeps its own empty role=alert announcer on every page). */
export function formError(page: Page) {
  return page.locator('p[role="alert"]');
}

export async function createWorkspace(page: Page, name: string): Promise<void> {
  await expect(page).toHaveURL(/\/onboarding/);
  // The form's inputs are controlled: text typed before React hydrates them is reset to ''. React
  // marks each element it has hydrated with its internal props key, so wait for that mark rather
  // than for a side effect of typing (which, under load, a run once waited for in vain).
  const nameInput = page.getByLabel('Workspace name');
  await expect
    .poll(() => nameInput.evaluate((el) => Object.keys(el).some((key) => key.startsWith('__reactProps$'))), { timeout: 30_000 })
    .toBe(true);
  await nameInput.fill(name);
  await page.getByLabel('URL name').fill(uniqueSlug(name.toLowerCase().replace(/[^a-z]/g, '')));
  await expect(nameInput).toHaveValue(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await expect(page).toHaveURL(/\/documents$/);
  await expect(page.getByRole('combobox', { name: 'Workspace' })).toHaveValue(/.+/);
}

/** Creates a document and returns its id (from its URL). */
export async function createDocument(page: Page, title: string, body = ''): Promise<string> {
  await page.goto('/documents');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Body').fill(body);
  await page.getByRole('button', { name: 'Create document' }).click();
  const link = page.getByRole('link', { name: title });
  await expect(link).toBeVisible();
  await link.click();
  await expect(page).toHaveURL(/\/documents\/[0-9a-f-]{36}$/);
  return page.url().split('/').pop() as string;
}

/** A signed-up user with a workspace of their own. */
export async function userWithWorkspace(browser: Browser, label: string, workspace: string) {
  const { context, page } = await newUserContext(browser);
  const email = uniqueEmail(label);
  await signUp(page, email);
  await createWorkspace(page, workspace);
  return { context, page, email };
}
