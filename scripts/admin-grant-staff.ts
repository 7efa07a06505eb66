/** `pnpm admin:grant-staff <email>`: makes an existing user staff (see admin-staff.ts). */
import { run } from './admin-staff';

run('grant');
