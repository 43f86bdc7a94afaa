/** Tests use the same admin API client as the CLI. */
export { AdminApi as AdminClient } from '../simulators/admin-api.ts';
