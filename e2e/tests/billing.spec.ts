import { expect, type Page, test } from '@playwright/test';
import { newUserContext, signUp, uniqueEmail, userWithWorkspace } from './support';

/**
 * Billing through the local Stripe stand-in's hosted pages: the owner upgrades through Checkout
 * and the feature unlocks; a member sees the plan but cannot start Checkout or the Portal;
 * cancelling in the Portal locks the feature again. The page reloads until the webhook has
 * landed (Stripe confirms asynchronously), with no timing assumptions.
 */
async function featureEnabled(page: Page, feature: string, enabled: boolean, status?: string) {
  await expect(async () => {
    await page.goto('/billing');
    await expect(page.getByTestId(`feature-${feature}`)).toHaveAttribute('data-enabled', String(enabled), { timeout: 1_000 });
    if (status) await expect(page.getByTestId('billing-status')).toHaveText(status, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
}

test('owner upgrades through Checkout, a member cannot manage billing, cancelling in the Portal locks the feature', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const owner = await userWithWorkspace(browser, 'payer', 'Paying Co');

  // Free tier: the export is locked and says which plans unlock it.
  await owner.page.goto('/billing');
  await expect(owner.page.getByTestId('billing-plan')).toHaveText('Free');
  await expect(owner.page.getByTestId('feature-audit_export')).toContainText('unlocked by Pro or Business');
  await expect(owner.page.getByTestId('feature-audit_export')).toHaveAttribute('data-enabled', 'false');

  // Upgrade: the stand-in's Checkout page, Pay, back to the billing page.
  await owner.page.getByRole('button', { name: 'Upgrade to Pro', exact: true }).click();
  await expect(owner.page.getByRole('heading', { name: 'Subscribe' })).toBeVisible();
  await owner.page.getByRole('button', { name: 'Pay' }).click();
  await expect(owner.page).toHaveURL(/\/billing\?checkout=success$/);
  await featureEnabled(owner.page, 'audit_export', true);
  await expect(owner.page.getByTestId('billing-plan')).toHaveText('Pro');
  await expect(owner.page.getByTestId('feature-documents')).toContainText('up to 10,000');

  // A member of the workspace sees the plan, and no way to change it.
  const memberEmail = uniqueEmail('member');
  await owner.page.goto('/members');
  await owner.page.getByLabel('Email').fill(memberEmail);
  await owner.page.getByRole('button', { name: 'Create invitation link' }).click();
  const invitePath = new URL(await owner.page.getByTestId('invitation-link').inputValue()).pathname;
  const member = await newUserContext(browser);
  await member.page.goto(invitePath);
  await member.page.getByRole('link', { name: 'create an account' }).click();
  await signUp(member.page, memberEmail, invitePath);
  await member.page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(member.page).toHaveURL(/\/documents$/);
  await member.page.goto('/billing');
  await expect(member.page.getByTestId('billing-plan')).toHaveText('Pro');
  await expect(member.page.getByText('Only owners can change the plan or open the billing portal.')).toBeVisible();
  await expect(member.page.getByRole('button', { name: /Upgrade|Manage billing/ })).toHaveCount(0);

  // The owner cancels in the Portal; the feature locks once Stripe says the subscription ended.
  await owner.page.goto('/billing');
  await owner.page.getByRole('button', { name: 'Manage billing' }).click();
  await expect(owner.page.getByTestId('subscription-status')).toHaveText('active');
  await owner.page.getByRole('button', { name: 'Cancel subscription now' }).click();
  await expect(owner.page.getByTestId('subscription-status')).toHaveText('canceled');
  await featureEnabled(owner.page, 'audit_export', false, 'Canceled (free tier features)');
  await featureEnabled(member.page, 'audit_export', false);
});
