/** Tests use the same admin API client as the CLI. */
export { AdminApi as AdminClient } from '../../scripts/admin-client.ts';
