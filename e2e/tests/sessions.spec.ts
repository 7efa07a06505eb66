import { expect, test } from '@playwright/test';
import { createDocument, newUserContext, signIn, userWithWorkspace } from './support';

test('"Sign out of all devices" ends the other browser on its next request', async ({ browser }) => {
  const first = await userWithWorkspace(browser, 'ada', 'Acme');
  await createDocument(first.page, 'Acme notes');
  const second = await newUserContext(browser);
  await signIn(second.page, first.email);
  await expect(second.page.getByRole('link', { name: 'Acme notes' })).toBeVisible();

  await first.page.goto('/account');
  await first.page.getByRole('button', { name: 'Sign out of all devices' }).click();
  await expect(first.page).toHaveURL(/\/sign-in/);

  await second.page.goto('/documents');
  await expect(second.page).toHaveURL(/\/sign-in/);
  await expect(second.page.getByRole('link', { name: 'Acme notes' })).toHaveCount(0);

  await first.context.close();
  await second.context.close();
});

test('revoking a session on the sessions page ends that browser on its next request', async ({ browser }) => {
  const first = await userWithWorkspace(browser, 'ada', 'Acme');
  const second = await newUserContext(browser);
  await signIn(second.page, first.email);
  await expect(second.page).toHaveURL(/\/documents$/);

  await first.page.goto('/account');
  await expect(first.page.getByTestId('session-current')).toHaveCount(1);
  const others = first.page.getByTestId('session-other');
  await expect(others).toHaveCount(1);
  await others.getByRole('button', { name: 'Revoke' }).click();
  await expect(others).toHaveCount(0);

  await second.page.goto('/documents');
  await expect(second.page).toHaveURL(/\/sign-in/);
  // Positive control: the revoking browser keeps working.
  await first.page.goto('/documents');
  await expect(first.page).toHaveURL(/\/documents$/);

  await first.context.close();
  await second.context.close();
});

test('replaying an already-rotated refresh token from a copied cookie jar ends the session', async ({ browser }) => {
  test.setTimeout(90_000);
  const victim = await userWithWorkspace(browser, 'ada', 'Acme');
  await createDocument(victim.page, 'Acme ledger');

  // An attacker copies the cookie jar (access and refresh token) as it is now.
  const stolen = await victim.context.storageState();

  // The victim's session refreshes twice: the copied refresh token is now two rotations old.
  // (Presenting the active token's parent is still accepted, as Supabase Auth does: a client may
  // have lost the last answer.)
  for (let i = 0; i < 2; i++) {
    await victim.page.goto('/auth/refresh?next=/documents');
    await expect(victim.page.getByRole('link', { name: 'Acme ledger' })).toBeVisible();
  }
  // Outside the reuse interval (10 s in supabase/config.toml) a reuse is not a concurrent tab.
  await victim.page.waitForTimeout(11_000);

  const attacker = await browser.newContext({ baseURL: new URL(victim.page.url()).origin, storageState: stolen });
  const attackerPage = await attacker.newPage();
  await attackerPage.goto('/auth/refresh?next=/documents');
  await expect(attackerPage).toHaveURL(/\/sign-in/);

  // Reuse revoked the whole session: the victim's browser is signed out on its next request,
  // although its access token has not expired.
  await victim.page.goto('/documents');
  await expect(victim.page).toHaveURL(/\/sign-in/);
  await expect(attackerPage.getByRole('link', { name: 'Acme ledger' })).toHaveCount(0);

  await attacker.close();
  await victim.context.close();
});

test('changing the password keeps this browser signed in and ends the other one', async ({ browser }) => {
  const first = await userWithWorkspace(browser, 'ada', 'Acme');
  const second = await newUserContext(browser);
  await signIn(second.page, first.email);
  await expect(second.page).toHaveURL(/\/documents$/);

  await first.page.goto('/account');
  await first.page.getByLabel('New password', { exact: true }).fill('a brand new secret');
  await first.page.getByLabel('Repeat new password').fill('a brand new secret');
  await first.page.getByRole('button', { name: 'Change password' }).click();
  await expect(first.page.getByRole('status')).toContainText('Password changed');

  await second.page.goto('/documents');
  await expect(second.page).toHaveURL(/\/sign-in/);
  // Positive control: the browser that changed it keeps working.
  await first.page.goto('/documents');
  await expect(first.page).toHaveURL(/\/documents$/);

  await first.context.close();
  await second.context.close();
});
