import { createHmac } from 'node:crypto';
import { type Browser, expect, type Page, test } from '@playwright/test';
import pg from 'pg';
import { readWorld } from '../harness';
import { createDocument, createWorkspace, newUserContext, signIn, signUp, uniqueEmail, userWithWorkspace } from './support';

/**
 * The staff console (issue 9), in Chromium, against both production builds: one Supabase session
 * shared by the two apps (same API URL → same cookie; same host, and cookies ignore the port),
 * staff identity from the database, TOTP to aal2, break-glass reads that RLS enforces and the
 * audit log records, suspension, and a global sign-out that ends both apps.
 */

const admin = (path = '/') => `${readWorld().admin}${path}`;

/** What an authenticator app shows (RFC 6238: SHA-1, 6 digits, 30 s), for the secret the console displayed. */
function totp(secret: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = (digest.at(-1) ?? 0) & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** What `pnpm admin:grant-staff <email>` does, on the e2e stack's database. */
async function grantStaff(email: string): Promise<void> {
  const client = new pg.Client({ connectionString: readWorld().env.DB_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `insert into private.staff_members (user_id, email) select id, email from auth.users where email = $1`,
      [email],
    );
    expect(rowCount).toBe(1);
  } finally {
    await client.end();
  }
}

/**
 * A staff member (with a workspace of their own, so the tenant app has pages that check the
 * session) signed in on the tenant app; the staff claim comes with the sign-in after the grant.
 */
async function staffSignedInOnWeb(browser: Browser) {
  const { context, page } = await newUserContext(browser);
  const email = uniqueEmail('staff');
  await signUp(page, email);
  await createWorkspace(page, 'Staff HQ');
  await grantStaff(email);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/documents$/);
  return { context, page, email };
}

/** Enrols TOTP in the console and verifies it; returns the secret. */
async function enrolAndVerify(page: Page): Promise<string> {
  await page.goto(admin('/'));
  await expect(page).toHaveURL(/\/mfa$/);
  await expect(page.getByText('Set up two-factor authentication')).toBeVisible();
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel('6-digit code').fill(totp(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByTestId('whoami')).toContainText('aal2');
  return secret;
}

test('a user signed in on the tenant app is signed in on the console too, and denied there unless staff', async ({ browser }) => {
  const user = await userWithWorkspace(browser, 'ada', 'Acme');
  // No second sign-in: the console reads the same session and sends a non-staff user away.
  await user.page.goto(admin('/'));
  await expect(user.page).toHaveURL(/\/denied$/);
  await expect(user.page.getByText('This console is for the operator')).toBeVisible();
  await user.page.goto(admin('/grants'));
  await expect(user.page).toHaveURL(/\/denied$/);
  // Positive control: the same session still works in the tenant app.
  await user.page.goto('/documents');
  await expect(user.page).toHaveURL(/\/documents$/);
  // Made staff by the operator: the next token carries the claim, and MFA comes next.
  await grantStaff(user.email);
  await user.page.goto(admin('/'));
  await expect(user.page).toHaveURL(/\/denied$/);
  await user.page.getByRole('button', { name: 'Check again' }).click();
  await expect(user.page).toHaveURL(/\/mfa$/);
  await user.context.close();
});

test('staff without MFA enrol and verify; a wrong code is refused and nothing opens at aal1', async ({ browser }) => {
  const staff = await staffSignedInOnWeb(browser);
  await staff.page.goto(admin('/grants'));
  await expect(staff.page).toHaveURL(/\/mfa$/);
  await staff.page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await staff.page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  const right = totp(secret);
  await staff.page.getByLabel('6-digit code').fill(`${right.slice(0, 5)}${(Number(right[5]) + 5) % 10}`);
  await staff.page.getByRole('button', { name: 'Verify' }).click();
  await expect(staff.page.locator('p[role="alert"]')).toContainText('not right');
  await staff.page.getByLabel('6-digit code').fill(totp(secret));
  await staff.page.getByRole('button', { name: 'Verify' }).click();
  await expect(staff.page.getByTestId('whoami')).toContainText('aal2');

  // A later sign-in starts at aal1 again and is asked for the code, not a new enrolment.
  const again = await newUserContext(browser);
  await signIn(again.page, staff.email);
  await again.page.goto(admin('/'));
  await expect(again.page).toHaveURL(/\/mfa$/);
  await expect(again.page.getByText('Enter your authentication code')).toBeVisible();
  await again.page.getByLabel('6-digit code').fill(totp(secret));
  await again.page.getByRole('button', { name: 'Verify' }).click();
  await expect(again.page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
  await staff.context.close();
  await again.context.close();
});

test('break-glass: staff read tenant B’s documents under a grant (audited, read-only), see nothing after ending it; suspension locks B out; global sign-out ends both apps', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const bravoName = `Bravo ${uniqueEmail('b').slice(2, 10)}`;
  const bravo = await userWithWorkspace(browser, 'bob', bravoName);
  const documentId = await createDocument(bravo.page, 'Bravo launch plan', 'Ship on Friday.');
  const staff = await staffSignedInOnWeb(browser);
  await enrolAndVerify(staff.page);

  await test.step('staff at aal2 see the tenant list and find tenant B', async () => {
    await staff.page.goto(admin('/'));
    await expect(staff.page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
    await staff.page.getByLabel('Search tenants').fill(bravoName);
    await staff.page.getByRole('button', { name: 'Search' }).click();
    const link = staff.page.getByRole('link', { name: bravoName });
    await expect(link).toBeVisible();
    await link.click();
    await expect(staff.page.getByRole('heading', { name: bravoName })).toBeVisible();
  });
  const tenantUrl = staff.page.url();

  await test.step('without a grant the documents are not visible', async () => {
    await staff.page.goto(`${tenantUrl}/documents`);
    await expect(staff.page.getByText('No documents visible.')).toBeVisible();
  });

  await test.step('a grant needs a reason; with one, staff read B’s documents', async () => {
    await staff.page.goto(tenantUrl);
    await staff.page.getByLabel('Reason', { exact: true }).fill('short');
    await staff.page.getByLabel('Duration (minutes, at most 60)').fill('30');
    // The browser would stop a too-short reason itself; the server's message is what counts.
    await staff.page.getByLabel('Reason', { exact: true }).evaluate((el) => el.removeAttribute('minlength'));
    await staff.page.getByRole('button', { name: 'Request read access' }).click();
    await expect(staff.page.locator('p[role="alert"]')).toContainText('at least 10 characters');
    await staff.page.getByLabel('Reason', { exact: true }).fill('Ticket 4711: customer asks why the launch plan is missing');
    await staff.page.getByRole('button', { name: 'Request read access' }).click();
    await expect(staff.page).toHaveURL(/\/documents$/);
    await expect(staff.page.getByTestId('staff-document')).toHaveCount(1);
    await expect(staff.page.getByText('Bravo launch plan')).toBeVisible();
    await staff.page.reload();
    await expect(staff.page.getByText('Bravo launch plan')).toBeVisible();
  });

  await test.step('…and cannot change them', async () => {
    // The tenant app, with the same (staff) session: the grant gives no write and no page.
    await staff.page.goto(`${readWorld().web}/documents/${documentId}`);
    await expect(staff.page.getByText('Bravo launch plan')).toHaveCount(0);
    await bravo.page.goto(`/documents/${documentId}`);
    await expect(bravo.page.getByLabel('Title')).toHaveValue('Bravo launch plan');
  });

  await test.step('each read is in the tenant’s audit log', async () => {
    await staff.page.goto(tenantUrl);
    const log = staff.page.getByTestId('audit-log');
    // Three reads: before the grant, and two with it.
    await expect(log.getByText('staff.read_data')).toHaveCount(3);
    await expect(log.getByText('staff.grant_opened')).toHaveCount(1);
  });

  await test.step('after ending the grant: zero rows', async () => {
    await staff.page.getByRole('button', { name: 'End access now' }).click();
    await expect(staff.page.getByRole('button', { name: 'Request read access' })).toBeVisible();
    await staff.page.goto(`${tenantUrl}/documents`);
    await expect(staff.page.getByText('No documents visible.')).toBeVisible();
    await staff.page.goto(admin('/grants'));
    await expect(staff.page.getByText('No active grants.')).toBeVisible();
  });

  await test.step('suspending B locks its members out on their next request', async () => {
    await bravo.page.goto('/documents');
    await expect(bravo.page.getByRole('link', { name: 'Bravo launch plan' })).toBeVisible();
    await staff.page.goto(tenantUrl);
    await staff.page.getByLabel('Reason for suspending').fill('Chargeback under review');
    await staff.page.getByRole('button', { name: 'Suspend tenant' }).click();
    await expect(staff.page.getByTestId('tenant-status')).toHaveText('suspended');
    await bravo.page.goto('/documents');
    await expect(bravo.page).toHaveURL(/\/suspended$/);
    await expect(bravo.page.getByText('This workspace is suspended')).toBeVisible();
    // Reactivated: back to work.
    await staff.page.getByLabel('Reason for reactivating').fill('Resolved');
    await staff.page.getByRole('button', { name: 'Reactivate tenant' }).click();
    await expect(staff.page.getByTestId('tenant-status')).toHaveText('active');
    await bravo.page.goto('/documents');
    await expect(bravo.page.getByRole('link', { name: 'Bravo launch plan' })).toBeVisible();
  });

  await test.step('signing out everywhere in the console ends the tenant app too', async () => {
    const elsewhere = await newUserContext(browser);
    await signIn(elsewhere.page, staff.email);
    await expect(elsewhere.page).toHaveURL(/\/documents$/);
    await staff.page.goto(`${readWorld().web}/documents`);
    await expect(staff.page).toHaveURL(/\/documents$/);
    await staff.page.goto(admin('/'));
    await staff.page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(staff.page).toHaveURL(/\/sign-in$/);
    // This browser, in the tenant app, and another browser's tenant-app session: both ended.
    await staff.page.goto(`${readWorld().web}/documents`);
    await expect(staff.page).toHaveURL(/\/sign-in/);
    await elsewhere.page.goto('/documents');
    await expect(elsewhere.page).toHaveURL(/\/sign-in/);
    await elsewhere.context.close();
  });

  await bravo.context.close();
  await staff.context.close();
});

test('staff end all sessions of a user from the console', async ({ browser }) => {
  const name = `Cyd ${uniqueEmail('c').slice(2, 10)}`;
  const member = await userWithWorkspace(browser, 'cyd', name);
  const staff = await staffSignedInOnWeb(browser);
  await enrolAndVerify(staff.page);
  await staff.page.goto(admin('/'));
  await staff.page.getByLabel('Search tenants').fill(name);
  await staff.page.getByRole('button', { name: 'Search' }).click();
  await staff.page.getByRole('link', { name }).click();
  await staff.page.getByRole('button', { name: `End all sessions of ${member.email}` }).click();
  await expect(staff.page.getByRole('status')).toContainText('sessions were ended');
  await member.page.goto('/documents');
  await expect(member.page).toHaveURL(/\/sign-in/);
  // Positive control: the staff member is still signed in.
  await staff.page.goto(admin('/'));
  await expect(staff.page.getByRole('heading', { name: 'Tenants' })).toBeVisible();
  await member.context.close();
  await staff.context.close();
});
