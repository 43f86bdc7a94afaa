/**
 * The admin token tests use: random once per test process, so that no weak
 * token literal lives in the repository and every one passes the platform's
 * strength check (`core/secrets.ts`).
 */
import { generateAdminToken } from '../core/secrets.ts';

export const TEST_ADMIN_TOKEN = generateAdminToken();
