'use server';

import { createSupabaseServerClient } from '@bulkhead/tenancy/next';
import { sql } from 'drizzle-orm';
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { loadForUser } from '@/lib/context';

/**
 * Switch the selected tenant, then refresh the session so the claims hook issues a token for
 * it. switch_tenant() checks the membership; a tenant the user does not belong to is refused.
 */
export async function switchTenant(form: FormData): Promise<void> {
  const tenantId = z.uuid().safeParse(form.get('tenantId'));
  if (!tenantId.success) return;
  try {
    await loadForUser('/documents', (db) => db.execute(sql`select public.switch_tenant(${tenantId.data}::uuid)`));
  } catch (error) {
    // Not a member of that tenant: nothing changes (the database refused it).
    if ((error as { code?: string }).code !== '42501') throw error;
    redirect('/documents');
  }
  const supabase = await createSupabaseServerClient();
  await supabase.auth.refreshSession();
  redirect('/documents');
}
