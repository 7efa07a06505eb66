/** A row of public.staff_grants(). */
export type GrantRow = {
  id: string;
  staff_user_id: string;
  staff_email: string | null;
  tenant_id: string;
  tenant_name: string;
  reason: string;
  created_at: Date | string;
  expires_at: Date | string;
  ended_at: Date | string | null;
  live: boolean;
};
