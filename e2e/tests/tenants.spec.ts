import { expect, test } from '@playwright/test';
import { createDocument, formError, userWithWorkspace } from './support';

test('two tenants each see only their own documents; search and edit work', async ({ browser }) => {
  const acme = await userWithWorkspace(browser, 'ada', 'Acme');
  const globex = await userWithWorkspace(browser, 'grace', 'Globex');

  await createDocument(acme.page, 'Acme roadmap', 'Q1: ship it');
  await createDocument(acme.page, 'Acme budget');
  await createDocument(globex.page, 'Globex plans');

  await acme.page.goto('/documents');
  await expect(acme.page.getByRole('link', { name: 'Acme roadmap' })).toBeVisible();
  await expect(acme.page.getByRole('link', { name: 'Acme budget' })).toBeVisible();
  await expect(acme.page.getByRole('link', { name: 'Globex plans' })).toHaveCount(0);

  await globex.page.goto('/documents');
  await expect(globex.page.getByRole('link', { name: 'Globex plans' })).toBeVisible();
  await expect(globex.page.getByRole('link', { name: /Acme/ })).toHaveCount(0);

  // Search narrows within the tenant.
  await acme.page.goto('/documents?q=budget');
  await expect(acme.page.getByRole('link', { name: 'Acme budget' })).toBeVisible();
  await expect(acme.page.getByRole('link', { name: 'Acme roadmap' })).toHaveCount(0);

  // Edit, with a field error first: blanks pass the browser's `required` but not the server.
  await acme.page.getByRole('link', { name: 'Acme budget' }).click();
  // The list page has a Title field too: wait for the editor before typing.
  await expect(acme.page).toHaveURL(/\/documents\/[0-9a-f-]{36}$/);
  await acme.page.getByLabel('Title').fill('   ');
  await acme.page.getByRole('button', { name: 'Save' }).click();
  await expect(acme.page.getByText('Give the document a title.')).toBeVisible();
  await acme.page.getByLabel('Title').fill('Acme budget 2027');
  await acme.page.getByRole('button', { name: 'Save' }).click();
  await expect(acme.page.getByRole('status')).toHaveText('Saved.');
  await acme.page.goto('/documents');
  await expect(acme.page.getByRole('link', { name: 'Acme budget 2027' })).toBeVisible();

  await acme.context.close();
  await globex.context.close();
});

test("IDOR: another tenant's document URL is a 404, and tampered action ids change nothing", async ({ browser }) => {
  const acme = await userWithWorkspace(browser, 'ada', 'Acme');
  const globex = await userWithWorkspace(browser, 'grace', 'Globex');
  const secretId = await createDocument(acme.page, 'Acme secret', 'the formula');
  const ownId = await createDocument(globex.page, 'Globex memo', 'hello');

  // Positive control: Globex opens its own document.
  const own = await globex.page.goto(`/documents/${ownId}`);
  expect(own?.status()).toBe(200);
  // Acme's document URL is indistinguishable from a missing one.
  const foreign = await globex.page.goto(`/documents/${secretId}`);
  expect(foreign?.status()).toBe(404);
  await expect(globex.page.getByText('the formula')).toHaveCount(0);

  // A Server Action called with Acme's id (the form's hidden id swapped) is refused.
  await globex.page.goto(`/documents/${ownId}`);
  await globex.page.locator('form:has(button:text("Save")) input[name="id"]').evaluate((el, id) => {
    (el as HTMLInputElement).value = id;
  }, secretId);
  await globex.page.getByLabel('Title').fill('pwned');
  await globex.page.getByRole('button', { name: 'Save' }).click();
  await expect(formError(globex.page)).toContainText('does not exist in this workspace');

  globex.page.on('dialog', (dialog) => dialog.accept());
  await globex.page.goto(`/documents/${ownId}`);
  await globex.page.locator('form:has(button:text("Delete document")) input[name="id"]').evaluate((el, id) => {
    (el as HTMLInputElement).value = id;
  }, secretId);
  await globex.page.getByRole('button', { name: 'Delete document' }).click();
  await expect(formError(globex.page)).toContainText('does not exist here');

  // Acme's document is untouched; Globex's own save still works (positive control).
  await acme.page.goto(`/documents/${secretId}`);
  await expect(acme.page.getByLabel('Title')).toHaveValue('Acme secret');
  await expect(acme.page.getByLabel('Body')).toHaveValue('the formula');
  await globex.page.goto(`/documents/${ownId}`);
  await globex.page.getByLabel('Title').fill('Globex memo v2');
  await globex.page.getByRole('button', { name: 'Save' }).click();
  await expect(globex.page.getByRole('status')).toHaveText('Saved.');

  await acme.context.close();
  await globex.context.close();
});

test('the document list pages through a tenant with more documents than fit a page', async ({ browser }) => {
  test.setTimeout(120_000);
  const acme = await userWithWorkspace(browser, 'ada', 'Acme');
  for (let i = 1; i <= 21; i++) {
    await acme.page.getByLabel('Title').fill(`Note ${String(i).padStart(2, '0')}`);
    await acme.page.getByRole('button', { name: 'Create document' }).click();
    await expect(acme.page.getByRole('link', { name: `Note ${String(i).padStart(2, '0')}` })).toBeVisible();
  }
  await acme.page.goto('/documents');
  const list = acme.page.getByRole('list', { name: 'Documents' });
  await expect(list.getByRole('listitem')).toHaveCount(20);
  await expect(acme.page.getByText('Page 1 of 2')).toBeVisible();
  // Newest first: the oldest note is on page 2.
  await expect(list.getByRole('link', { name: 'Note 01' })).toHaveCount(0);
  await acme.page.getByRole('link', { name: 'Next →' }).click();
  await expect(acme.page.getByText('Page 2 of 2')).toBeVisible();
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await expect(list.getByRole('link', { name: 'Note 01' })).toBeVisible();
  await acme.context.close();
});
