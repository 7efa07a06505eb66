import 'server-only';
import { createSupabaseServerClient } from '@bulkhead/tenancy/next';

/** New claims now: the claims hook re-reads memberships and the selected tenant. */
export async function refreshClaims(): Promise<void> {
  const supabase = await createSupabaseServerClient();
  const { error } = await supabase.auth.refreshSession();
  if (error) throw error;
}
