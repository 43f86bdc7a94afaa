/**
 * The broker's CONNECT hooks: who may connect.
 *
 * Client id = username = gateway id, password = the gateway's secret
 * (scrypt-hashed in the ledger). Secret checks are expensive, so a verified
 * secret is remembered, at most `maxConcurrentSecretChecks` run at once, and
 * one whose client left while it waited is skipped. An unknown gateway is
 * checked against a decoy hash, so that it takes as long to refuse as a wrong
 * secret. A will is authorised like a publish, at CONNECT. Over mutual TLS,
 * the client certificate's subject CN must be the gateway the CONNECT names.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { PlatformConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { VerifiedSecretCache, VerifyGate, decoyHash, verifySecret, type SharedVerifiedSecrets } from '../ledger/credentials.ts';
import type { Registry } from '../ledger/registry.ts';
import { decideWill, type GatewayIdentity } from './acl.ts';
import type { BrokerClients } from './clients.ts';
import type { Refusals } from './refusals.ts';

/** MQTT CONNACK return codes (3.1.1 §3.2.2.3). */
const RC = { IDENTIFIER_REJECTED: 2, SERVER_UNAVAILABLE: 3, BAD_CREDENTIALS: 4, NOT_AUTHORIZED: 5 } as const;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: returnCode });
}

export interface AuthenticationDeps {
  registry: Registry;
  metrics: Pick<Metrics, 'mqttSecretChecks'>;
  log: Logger;
  clients: BrokerClients;
  refusals: Refusals;
  /** Called once a client is let in, before its CONNACK (see `SessionMarkers.connecting` in session-state.ts). */
  sessionConnecting: (clientId: string, persistent: boolean) => Promise<void>;
  /** Claims the gateway for this connection across the cluster, once it is let in (owners.ts). */
  claim: (client: Client, gatewayId: string) => Promise<void>;
  /** The cluster's verified-secret digests (verified-secrets.ts): a gateway verified by any node is not checked by scrypt again. */
  sharedSecrets?: SharedVerifiedSecrets;
}

/** aedes' `preConnect` and `authenticate` hooks. */
export function authenticationHooks(
  config: Pick<PlatformConfig['mqtt'], 'keepaliveLimit' | 'maxConcurrentSecretChecks'>,
  deps: AuthenticationDeps,
): Required<Pick<AedesOptions, 'preConnect' | 'authenticate'>> {
  const { clients, refusals } = deps;
  const { refuse, refuseQuietly } = refusals;
  const secrets = new VerifiedSecretCache(undefined, deps.sharedSecrets);
  const secretChecks = new VerifyGate(config.maxConcurrentSecretChecks);

  return {
    preConnect: (client, packet, done) => {
      clients.connects.set(client, {
        keepalive: packet.keepalive ?? 0,
        clean: packet.clean !== false,
        emptyId: !packet.clientId,
        willTopic: packet.will?.topic,
      });
      done(null, true);
    },

    authenticate: (client, username, password, done) => {
      const clientId = client.id;
      const fail = (reason: string, rc: number) => {
        refuse('connect', reason, { clientId, username });
        done(authError(reason, rc), false);
      };
      const asked = clients.connects.get(client);
      // [MQTT-3.1.3-8]; aedes would give such a client a generated id
      if (asked?.emptyId && !asked.clean) return fail('empty_client_id_with_persistent_session', RC.IDENTIFIER_REJECTED);
      // A keepalive beyond the limit is refused (3.1.1 has no code for this; mosquitto answers 0x02 too). Keepalive 0
      // (off) is accepted, as the standard allows [MQTT-3.1.2-23 ff.]: such a connection is closed after
      // `idleTimeoutMs` without traffic instead, so a dead one cannot hold its session for ever.
      if (asked && asked.keepalive > config.keepaliveLimit) return fail('keepalive_not_allowed', RC.IDENTIFIER_REJECTED);
      if (!username || !password) return fail('missing_credentials', RC.BAD_CREDENTIALS);
      if (username !== clientId) return fail('client_id_must_equal_username', RC.IDENTIFIER_REJECTED);
      // mutual TLS: a verified client certificate names the gateway; the CONNECT may not be another's (the secret is still checked)
      const certified = clients.certifiedAs.get(client.conn);
      if (certified !== undefined && certified !== username) {
        refuse('connect', 'certificate_names_another_gateway', { clientId, username, certificateCn: certified });
        return done(authError('certificate_names_another_gateway', RC.NOT_AUTHORIZED), false);
      }
      const secret = password.toString('utf8');
      const changesBefore = clients.changes.get(username) ?? 0;
      const check = async (): Promise<void> => {
        const gw = await deps.registry.gateway(username);
        // an unknown id is checked against a decoy hash: it takes as long to refuse as a wrong secret (no enumeration by timing)
        const stored = gw?.secretHash ?? (await decoyHash());
        const ok =
          // asked for an unknown id too, against the decoy (never matches): the same round trip either way. Redis away: scrypt
          ((await secrets.hasShared(gw?.id ?? username, secret, stored).catch(() => false)) && gw !== undefined) ||
          (await secretChecks.run(
            () => {
              deps.metrics.mqttSecretChecks.inc();
              return verifySecret(secret, stored);
            },
            () => !client.closed,
          ));
        if (ok === undefined) {
          // its connection closed while it waited for a check: nobody to answer (comes in floods)
          refuseQuietly('connect', 'gone_before_secret_check', { clientId });
          return done(authError('gone before its secret was checked', RC.BAD_CREDENTIALS), false);
        }
        if (!gw) return fail('unknown_gateway', RC.BAD_CREDENTIALS);
        if (!ok) return fail('bad_password', RC.BAD_CREDENTIALS);
        // the ledger changed while the secret was checked (a rotation, a disable): decide on the ledger as it is now
        const now = (clients.changes.get(username) ?? 0) === changesBefore ? gw : await deps.registry.gateway(username);
        if (!now || now.secretHash !== gw.secretHash) return fail('secret_rotated', RC.BAD_CREDENTIALS);
        if (now.disabled) return fail('gateway_disabled', RC.NOT_AUTHORIZED);
        const identity: GatewayIdentity = { clientId, enterpriseId: gw.enterpriseId, gatewayId: gw.id };
        // a will is authorised like a publish, at CONNECT (mosquitto refuses a denied will topic with 0x05 too)
        if (asked?.willTopic !== undefined) {
          const w = decideWill(identity, asked.willTopic);
          if (!w.allow) return fail(w.reason, RC.NOT_AUTHORIZED);
        }
        secrets.remember(gw.id, secret, gw.secretHash);
        clients.identities.set(client, identity);
        clients.authenticatedWith.set(client, gw.secretHash);
        await deps.sessionConnecting(clientId, asked?.clean === false); // its previous session's record first
        await deps.claim(client, gw.id); // before aedes registers it, and so before it closes an older connection elsewhere
        done(null, true);
      };
      check().then(
        () => undefined,
        (err: unknown) => {
          deps.log.error({ err, clientId }, 'registry lookup failed during authentication');
          refuse('connect', 'server_unavailable', { clientId });
          done(authError('server unavailable', RC.SERVER_UNAVAILABLE), false);
        },
      );
    },
  };
}
