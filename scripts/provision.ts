/**
 * Provisioning CLI: a thin client of the admin API.
 *
 *   npm run provision -- authority <id> <name> <province|city|county> [parentId]
 *   npm run provision -- enterprise <id> <name> <sector> [authorityId]
 *   npm run provision -- gateway <id> <enterpriseId> [name]      (prints the secret once)
 *   npm run provision -- rotate <gatewayId>                       (prints the new secret once)
 *   npm run provision -- sensor <enterpriseId> <gatewayId> <id> <kind> <unit> <periodS> [zone] [role]
 *   npm run provision -- list [enterpriseId]
 *
 * API: API_URL (default http://127.0.0.1:${HTTP_PORT:-8080}); token: ADMIN_TOKEN or var/admin-token.
 */
import { AdminApi, readAdminToken } from '../simulators/admin-api.ts';

const USAGE = `usage:
  provision authority <id> <name> <province|city|county> [parentId]
  provision enterprise <id> <name> <sector> [authorityId]
  provision gateway <id> <enterpriseId> [name]
  provision rotate <gatewayId>
  provision sensor <enterpriseId> <gatewayId> <id> <kind> <unit> <periodS> [zone] [role]
  provision list [enterpriseId]`;

async function main(argv: string[]): Promise<void> {
  const [cmd, ...a] = argv;
  const api = new AdminApi(process.env.API_URL ?? `http://127.0.0.1:${process.env.HTTP_PORT ?? '8080'}`, readAdminToken(process.env));
  const need = (n: number) => {
    if (a.length < n) throw new Error(`${cmd} needs ${n} arguments\n${USAGE}`);
  };
  const print = (x: unknown) => console.log(JSON.stringify(x, null, 2));
  switch (cmd) {
    case 'authority':
      need(3);
      return print(await api.ok('POST', '/api/v1/authorities', { id: a[0], name: a[1], level: a[2], ...(a[3] ? { parentId: a[3] } : {}) }));
    case 'enterprise':
      need(3);
      return print(await api.ok('POST', '/api/v1/enterprises', { id: a[0], name: a[1], sector: a[2], ...(a[3] ? { authorityId: a[3] } : {}) }));
    case 'gateway': {
      need(2);
      const g = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: a[0], enterpriseId: a[1], ...(a[2] ? { name: a[2] } : {}) });
      print(g);
      return console.error('The secret is shown only now; store it in the gateway. Lost it? `provision rotate` issues a new one.');
    }
    case 'rotate':
      need(1);
      return print(await api.ok('POST', `/api/v1/gateways/${encodeURIComponent(a[0] as string)}/rotate-secret`));
    case 'sensor':
      need(6);
      return print(
        await api.ok('POST', '/api/v1/sensors', {
          enterpriseId: a[0],
          gatewayId: a[1],
          id: a[2],
          kind: a[3],
          unit: a[4],
          periodS: Number(a[5]),
          ...(a[6] ? { zone: a[6] } : {}),
          ...(a[7] ? { role: a[7] } : {}),
        }),
      );
    case 'list':
      return print(await api.ok('GET', `/api/v1/gateways${a[0] ? `?enterpriseId=${encodeURIComponent(a[0])}` : ''}`));
    case undefined:
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
