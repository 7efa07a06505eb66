import { expect, test } from '@playwright/test';
import {
  createDocument,
  createWorkspace,
  formError,
  newUserContext,
  signIn,
  signUp,
  uniqueEmail,
  userWithWorkspace,
} from './support';

test('invite, accept, switch tenants, change role, and a removed member loses access in their other browser', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const ada = await userWithWorkspace(browser, 'ada', 'Acme');
  await createDocument(ada.page, 'Acme handbook', 'welcome');

  // Ada invites Carol as a member and gets a one-time link.
  const carolEmail = uniqueEmail('carol');
  await ada.page.goto('/members');
  await ada.page.getByLabel('Email').fill(carolEmail);
  await ada.page.getByRole('button', { name: 'Create invitation link' }).click();
  const link = await ada.page.getByTestId('invitation-link').inputValue();
  expect(link).toMatch(/\/invite\/.+/);
  const invitePath = new URL(link).pathname;

  // Carol signs up from the link and accepts.
  const carol = await newUserContext(browser);
  await carol.page.goto(invitePath);
  await carol.page.getByRole('link', { name: 'create an account' }).click();
  await signUp(carol.page, carolEmail, invitePath);
  await expect(carol.page).toHaveURL(new RegExp(`${invitePath}$`));
  await carol.page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(carol.page).toHaveURL(/\/documents$/);
  await expect(carol.page.getByRole('link', { name: 'Acme handbook' })).toBeVisible();

  // The link works once.
  const replay = await newUserContext(browser);
  await signUp(replay.page, uniqueEmail('mallory'));
  await replay.page.goto(invitePath);
  await replay.page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(formError(replay.page)).toContainText(/invitation/i);
  await replay.context.close();

  // Carol's second browser.
  const carol2 = await newUserContext(browser);
  await signIn(carol2.page, carolEmail);
  await expect(carol2.page).toHaveURL(/\/documents$/);
  await expect(carol2.page.getByRole('link', { name: 'Acme handbook' })).toBeVisible();

  // Carol creates her own workspace, then switches back to Acme.
  await carol.page.getByRole('combobox', { name: 'Workspace' }).selectOption('__new__');
  await createWorkspace(carol.page, 'Carol Co');
  await expect(carol.page.getByRole('link', { name: 'Acme handbook' })).toHaveCount(0);
  await carol.page.getByRole('combobox', { name: 'Workspace' }).selectOption({ label: 'Acme' });
  await expect(carol.page.getByRole('link', { name: 'Acme handbook' })).toBeVisible();
  await expect(carol.page.getByRole('heading', { name: 'New document' })).toBeVisible();

  // Ada makes Carol a viewer: Carol's next page shows no way to create documents.
  await ada.page.goto('/members');
  const row = ada.page.getByTestId(`member-${carolEmail}`);
  await row.getByRole('combobox').selectOption('viewer');
  // The select shows the new value at once; wait for the server action to answer.
  await Promise.all([
    ada.page.waitForResponse((res) => res.request().method() === 'POST' && res.url().includes('/members')),
    row.getByRole('button', { name: 'Save role' }).click(),
  ]);
  await ada.page.reload();
  await expect(ada.page.getByTestId(`member-${carolEmail}`).getByRole('combobox')).toHaveValue('viewer');
  await carol.page.goto('/documents');
  await expect(carol.page.getByRole('link', { name: 'Acme handbook' })).toBeVisible();
  await expect(carol.page.getByRole('heading', { name: 'New document' })).toHaveCount(0);

  // The last owner cannot leave.
  ada.page.on('dialog', (dialog) => dialog.accept());
  await ada.page.getByRole('button', { name: 'Leave workspace' }).click();
  await expect(formError(ada.page)).toContainText('last owner');

  // Ada removes Carol. Carol's other browser, still holding a token that names Acme, loses
  // Acme on its next navigation without signing out.
  await ada.page.goto('/members');
  await ada.page.getByTestId(`member-${carolEmail}`).getByRole('button', { name: 'Remove' }).click();
  await expect(ada.page.getByTestId(`member-${carolEmail}`)).toHaveCount(0);

  await carol2.page.goto('/documents');
  await expect(carol2.page).toHaveURL(/\/documents$/);
  await expect(carol2.page.getByRole('combobox', { name: 'Workspace' }).locator('option:checked')).toHaveText('Carol Co');
  await expect(carol2.page.getByRole('link', { name: 'Acme handbook' })).toHaveCount(0);

  for (const c of [ada, carol, carol2]) await c.context.close();
});
