/** `pnpm admin:revoke-staff <email>`: ends a user's staff membership (see admin-staff.ts). */
import { run } from './admin-staff';

run('revoke');
