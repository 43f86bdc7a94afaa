import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError } from './errors.ts';
import { adminTokenWeakness, weakAdminTokenMessage } from './secrets.ts';

/** How much longer than the oldest backlog accepted (`ingest.maxAgeMs`) raw readings must be kept: an hour for points in flight. */
const RAW_RETENTION_MARGIN_MS = 3600_000;

/** A proxy's address as fastify's `trustProxy` (proxy-addr) takes it: an IP, a CIDR range, or a named range. */
function isProxyAddress(a: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(a)) return true;
  const [ip = '', bits, ...rest] = a.split('/');
  const v = isIP(ip);
  if (v === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return isIP(bits) === v; // a netmask, as proxy-addr accepts
  return Number(bits) <= (v === 4 ? 32 : 128);
}

/** The parts a process can run (`PARTS`); a deployment runs each somewhere (`tests/unit/platform/compose.test.ts`). */
export const PARTS = ['gateway', 'api', 'rules'] as const;
export type Part = (typeof PARTS)[number];

/**
 * The platform's configuration, parsed once and strictly: unknown keys are
 * rejected and every error names the key. Defaults live here and nowhere else.
 */
export const platformConfigSchema = z.strictObject({
  /** Where local state (PGlite, started services' data, admin token) lives, private to the platform's user (0700/0600). Default `var`. */
  dataDir: z.string().default('var'),
  /**
   * Which parts this process runs: `gateway` (MQTT broker + ingest, which must
   * live together: the PUBACK waits for the write), `api` and/or `rules`
   * (the rules worker, notifications and escalation). Default all three.
   */
  parts: z
    .array(z.enum(PARTS))
    .min(1)
    .default([...PARTS]),
  /** pino level. Default `info`. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  mqtt: z
    .strictObject({
      /** Interface the MQTT listener binds. Default `0.0.0.0`. */
      host: z.string().default('0.0.0.0'),
      /** MQTT TCP port. Default 1883; 0 picks a free port. */
      port: z.number().int().min(0).max(65535).default(1883),
      /** Largest MQTT packet a gateway may send, in bytes; larger ones close the connection. Default 256 KiB. */
      maxPacketBytes: z
        .number()
        .int()
        .min(1024)
        .default(256 * 1024),
      /** Largest keepalive a gateway may ask for, in seconds. Default 600. */
      keepaliveLimit: z.number().int().min(10).default(600),
      /** Most simultaneous gateway connections. Default 10,000. */
      maxConnections: z.number().int().min(1).default(10_000),
      /** Most simultaneous connections not yet authenticated (no CONNACK 0 yet); more are closed at once. Default 1,000. */
      maxPendingConnections: z.number().int().min(1).default(1000),
      /** Gateway secret (scrypt) checks run at once; more wait their turn, and are skipped if their client has gone. Default 2. */
      maxConcurrentSecretChecks: z.number().int().min(1).max(64).default(2),
      /** Time from the TCP connection to a complete CONNECT before the broker closes it, in ms. Default 10 s. */
      connectTimeoutMs: z.number().int().min(100).default(10_000),
      /** Bytes waiting to be written to a connection that does not read them, beyond which it is closed. Default 1 MiB. */
      maxWriteBufferBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(1024 * 1024),
      /**
       * This broker's id in the shared session store, kept across restarts, so that after a crash the restarted
       * broker owns the wills it had stored and does not publish them later as a vanished broker's (which would
       * mark gateways that have long reconnected offline). Give each broker process sharing one Redis its own.
       * Default `gateway-1`.
       */
      brokerId: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, underscore and hyphen, at most 64')
        .default('gateway-1'),
      /**
       * A connection that asked for keepalive 0 (off) is closed after this long without traffic, in ms. Default 900 s:
       * 1.5 × the longest keepalive allowed (600 s), the limit [MQTT-3.1.2-24] would give it; the platform's default.
       */
      idleTimeoutMs: z.number().int().min(1000).default(900_000),
      /**
       * How often this broker announces it is alive to the others on the store, in ms; every 4 of these it
       * publishes the wills of brokers not heard from in 3. Default 60 s (aedes' own default).
       */
      heartbeatIntervalMs: z.number().int().min(100).default(60_000),
      /** Whether the plain (unencrypted) listener on `port` runs. Default true; false leaves only the TLS listener (`tls` must be set). */
      plain: z.boolean().default(true),
      /**
       * MQTT over TLS (issue #19 §5; `npm run certs` makes development certificates). Absent: no TLS listener. The
       * limits above (connections, pending, connect timeout, packet size) are shared with the plain listener.
       */
      tls: z
        .strictObject({
          /** MQTT over TLS port. Default 8883 (IANA's secure-mqtt); 0 picks a free port. */
          port: z.number().int().min(0).max(65535).default(8883),
          /** The server certificate (PEM, with its chain). */
          certFile: z.string().min(1),
          /** The server certificate's private key (PEM). */
          keyFile: z.string().min(1),
          /** The CA (PEM) gateways' client certificates are checked against; needed unless `clientCert` is `off`. */
          caFile: z.string().min(1).optional(),
          /**
           * Mutual TLS: `off` asks for no client certificate; `optional` checks one if presented (an invalid one is
           * refused); `required` refuses a connection without a valid one in the handshake. A verified certificate's
           * subject CN is the gateway: its CONNECT must name that gateway (the secret is still checked). Default `off`.
           */
          clientCert: z.enum(['off', 'optional', 'required']).default('off'),
        })
        .superRefine((t, ctx) => {
          if (t.clientCert !== 'off' && t.caFile === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['caFile'],
              message: `客户端证书（clientCert=${t.clientCert}）需要 CA 文件 / client certificates need caFile`,
            });
          }
        })
        .optional(),
    })
    .superRefine((m, ctx) => {
      if (!m.plain && !m.tls)
        ctx.addIssue({
          code: 'custom',
          path: ['plain'],
          message: '关闭明文监听时必须配置 TLS，否则没有 MQTT 监听 / plain=false needs mqtt.tls: no MQTT listener at all',
        });
    })
    .prefault({}),
  http: z
    .strictObject({
      /** Interface the API binds. Default `0.0.0.0`. */
      host: z.string().default('0.0.0.0'),
      /** API port. Default 8080; 0 picks a free port. */
      port: z.number().int().min(0).max(65535).default(8080),
      /**
       * Bearer token for admin endpoints (provisioning). Refused when short, patterned or a known placeholder
       * (`core/secrets.ts`: at least 24 characters, 64 bits estimated). Default: generated and stored in `{dataDir}/admin-token`.
       */
      adminToken: z
        .string()
        .superRefine((token, ctx) => {
          const weakness = adminTokenWeakness(token);
          if (weakness) ctx.addIssue({ code: 'custom', message: weakAdminTokenMessage(weakness) });
        })
        .optional(),
      /**
       * Failed sign-ins (and wrong current passwords) before a lock (api/sign-in-limits.ts), counted in
       * Redis for every API process. The numbers are the platform's defaults, for the bureau to set.
       */
      signIn: z
        .strictObject({
          /** Seconds in which failures are counted. Default 900 (15 min). */
          windowS: z.number().int().min(1).default(900),
          /** Seconds a lock lasts. Default 900 (15 min). */
          lockS: z.number().int().min(1).default(900),
          /** Failures of one user from one address that lock that user from that address (not from others). Default 5. */
          perUserAddress: z.number().int().min(1).default(5),
          /** Failures from one address, whatever the usernames, that lock the address. Default 20. */
          perAddress: z.number().int().min(1).default(20),
        })
        .prefault({}),
      /**
       * HTTPS (issue #19 §5): the API and console listen on TLS only (TLS 1.2 or later), with this certificate
       * (PEM, its chain after it) and its private key (PEM). `npm run certs` makes development ones
       * (`var/certs/server.pem`, `server.key`); a bureau's come from its own CA. Absent: plain HTTP (development,
       * or a TLS-terminating proxy in front, see `trustProxy`).
       */
      tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
      /**
       * Which proxies in front of the API to believe about the client (fastify's `trustProxy`): their
       * `X-Forwarded-For` (the address logged and counted by the sign-in limits) and `X-Forwarded-Proto`
       * (`https`: the session cookie is Secure and HSTS is sent). `false` (default): nobody — the address is the
       * TCP peer's; `true`: any peer (only when nothing but the proxy can reach the port); or the proxies'
       * addresses (IP, CIDR, or `loopback` / `linklocal` / `uniquelocal`). No hop count: fastify 5 believes no
       * forwarded header with one (it cannot tell the proxy from a client), so one would silently trust nobody.
       */
      trustProxy: z
        .union([
          z.boolean(),
          z.array(z.string().trim().refine(isProxyAddress, 'an IP address, a CIDR range (10.0.0.0/8) or loopback / linklocal / uniquelocal')).min(1),
        ])
        .default(false),
    })
    .prefault({}),
  /** Redis for broker sessions (and later BullMQ). Must run with appendonly yes. Or, instead, `redisSentinels` + `redisMasterName`. */
  redisUrl: z.url().optional(),
  /**
   * Redis behind Redis Sentinel instead of `redisUrl`: a few of the Sentinels (`host:port`; ioredis asks them for
   * the master and asks again after a failover), with the master group's name (`sentinel monitor <name> …`).
   */
  redisSentinels: z
    .array(
      z
        .string()
        .trim()
        .regex(/^[^\s:]+:\d{1,5}$/, 'host:port')
        .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65_535, 'port at most 65535'),
    )
    .min(1)
    .optional(),
  redisMasterName: z.string().min(1).optional(),
  /** The Sentinels' own password (`requirepass` in sentinel.conf), when they have one. */
  redisSentinelPassword: z.string().min(1).optional(),
  /** The master's and replicas' password behind Sentinel (with `redisUrl` it is part of the URL). */
  redisPassword: z.string().min(1).optional(),
  /**
   * Replicas that must have the rules-feed entry of a message (Redis `WAIT`) before the gateway gets its PUBACK,
   * so that a failover cannot lose what was acknowledged. 0: no wait (a single Redis). Default 1 with
   * `redisSentinels`, else 0 (the platform's defaults).
   */
  redisReplicasToAck: z.number().int().min(0).optional(),
  /** How long an append waits for those replicas before it counts as failed (no PUBACK; the gateway re-sends), ms. Default 1000, the platform's. */
  redisAckTimeoutMs: z.number().int().min(1).max(60_000).default(1000),
  /** Key prefix in Redis, so several platforms (or tests) can share one server. Default `nss:`. */
  redisPrefix: z.string().default('nss:'),
  influx: z.strictObject({
    /** Base URL of InfluxDB's HTTP API (v1 `/write` + `/query`; served by 1.x, 2.x with DBRP, 3.x). */
    url: z.url(),
    /** Database (1.x), or database/retention-policy mapped to a bucket (2.x/3.x). Default `safety`. */
    database: z.string().default('safety'),
    /** Token for 2.x/3.x (`Authorization: Token …`). */
    token: z.string().optional(),
    /** Username/password for 1.x with auth enabled. */
    username: z.string().optional(),
    password: z.string().optional(),
    /** Create the database at start (1.x only; 2.x/3.x buckets are provisioned by the operator). Default true. */
    createDatabase: z.boolean().default(true),
    /**
     * Retention of the readings (docs/adr/0008-retention-and-rollups.md). Set up at start on 1.x
     * (`manage`); on 2.x/3.x the operator creates the buckets and the rollup task as the ADR shows.
     */
    retention: z
      .strictObject({
        /** Create/alter the retention policies and the rollup continuous query at start (1.x). Default true. */
        manage: z.boolean().default(true),
        /**
         * History reads the 5-minute rollups (`rollup.reading_5m`) for long and old ranges. Default true; on 2.x/3.x
         * with `manage` false, set it false until the rollup bucket and task of the ADR are in place.
         */
        readRollups: z.boolean().default(true),
        /** How often the gateway part rolls up again the buckets of readings stored over 45 min late (1.x, with `manage`), ms. Default 1 min (the platform's default). */
        lateRerollIntervalMs: z.number().int().min(1000).default(60_000),
        /**
         * Days raw readings are kept; never less than 30: 《危险化学品重大危险源监督管理暂行规定》
         * (原国家安监总局令第40号) 第十三条 requires the electronic records of a major hazard source's
         * monitoring to be kept at least 30 days. It must also exceed `ingest.maxAgeMs` by an hour (InfluxDB
         * refuses points older than the retention). Default 31: the regulation's 30 days, and the ingest's
         * 30-day backlog window with a day to spare.
         */
        rawDays: z.number().int().min(30, 'at least 30 days (危险化学品重大危险源监督管理暂行规定 第十三条)').default(31),
        /** Days the 5-minute min/max/mean/count rollups are kept. Default 1,830 (five years): the platform's default, for the bureau to set. */
        rollupDays: z.number().int().min(30).default(1830),
      })
      .prefault({}),
  }),
  /** PostgreSQL URL; when absent PostgreSQL runs embedded (PGlite) under `{dataDir}/pglite`. */
  databaseUrl: z.string().optional(),
  ingest: z
    .strictObject({
      /** Points per InfluxDB write. Default 5,000 (influxd's sweet spot). */
      batchMaxPoints: z.number().int().min(1).default(5000),
      /** Longest a point waits for its batch to fill, ms. Default 25. */
      batchMaxDelayMs: z.number().int().min(0).default(25),
      /** Write at once while no write is in flight (a batch then forms only while InfluxDB is busy). Default true. */
      writeWhenIdle: z.boolean().default(true),
      /** Writes in flight at once. Default 3. */
      maxInflightWrites: z.number().int().min(1).default(3),
      /** Points accepted but not yet written beyond which new batches wait; socket reads stop meanwhile. Default 200,000. */
      maxBufferedPoints: z.number().int().min(1).default(200_000),
      /** First retry delay after a failed write, ms; doubles up to `retryMaxDelayMs`. Default 100. */
      retryBaseDelayMs: z.number().int().min(1).default(100),
      /** Longest retry delay, ms. Default 5,000. */
      retryMaxDelayMs: z.number().int().min(1).default(5000),
      /** Timeout of one write request, ms. Default 10,000. */
      writeTimeoutMs: z.number().int().min(100).default(10_000),
      /** How far ahead of the platform clock a device timestamp may be, ms. Default 10 min. */
      maxFutureSkewMs: z
        .number()
        .int()
        .min(0)
        .default(10 * 60_000),
      /** How old a device timestamp may be (backlog after an outage), ms. Default 30 days. */
      maxAgeMs: z
        .number()
        .int()
        .min(60_000)
        .default(30 * 24 * 3600_000),
      /**
       * Dead letters stored per gateway per window (`deadLetterCapWindowMs`); the excess is counted
       * (`nss_ingest_dead_letters_dropped_total`) and logged once per window, not stored. Platform default 100.
       */
      deadLetterCapPerGateway: z.number().int().min(1).default(100),
      /** The window of `deadLetterCapPerGateway`, ms. Platform default 1 min. */
      deadLetterCapWindowMs: z.number().int().min(1000).default(60_000),
      /** Dead letters older than this many days are deleted. Platform default 30 (the same horizon as `maxAgeMs`). */
      deadLetterRetentionDays: z.number().int().min(1).default(30),
      /** How often the gateway part deletes expired dead letters, ms. Platform default 1 h. */
      deadLetterExpiryIntervalMs: z.number().int().min(1000).default(3600_000),
    })
    .prefault({}),
  rules: z
    .strictObject({
      /** A rule catalogue file (JSON) replacing the shipped default; re-read when it changes, without a restart. */
      catalogueFile: z.string().optional(),
      /** How often the worker checks the catalogue file and the ledger for changes, ms. Default 5,000. */
      reloadIntervalMs: z.number().int().min(100).default(5000),
      /** Clock tick for the patterns about missing data (silence, deadlines), ms. Default 1,000. */
      tickMs: z.number().int().min(10).default(1000),
      /** How often the worker snapshots its windows (and trims the feed), ms. Default 5,000. */
      snapshotIntervalMs: z.number().int().min(10).default(5000),
      /** Entries read from the feed at once. Default 500. */
      readCount: z.number().int().min(1).default(500),
      /**
       * The lease under which one node of a cluster runs the rules (with their fencing token, issue #19 §3), ms: renewed
       * every third of it; a node that dies is replaced once it lapses, and a standby tries every fifth. Platform default
       * 5,000, so that the rules are taken over within 10 s (the issue's bound): 5 s lapse + 1 s attempt + restore and replay.
       */
      leaseMs: z.number().int().min(300).default(5000),
      /**
       * Partitions of the enterprises the rules feed is split into (issue #19 §3): each is run by one node, and the nodes
       * share them. 1 (default): one node runs all the rules, the others stand by. For N nodes, a few per node (e.g. 4N)
       * spreads the load and lets a failed node's share go to several. Every node must use the same number; it is
       * recorded in Redis at the first start (changing it: docs/scaling.md). The platform's default.
       */
      partitions: z.number().int().min(1).max(256).default(1),
    })
    .prefault({}),
  notify: z
    .strictObject({
      /** Webhook URLs every alert notification is POSTed to (JSON, signed with `webhookSecret`). */
      webhooks: z.array(z.url()).default([]),
      /** HMAC-SHA256 key for the `X-NSS-Signature` header of webhook calls. */
      webhookSecret: z.string().optional(),
      /** Time a webhook call may take, ms. Default 5,000. */
      webhookTimeoutMs: z.number().int().min(100).default(5000),
      /** Time allowed to acknowledge (签收) before escalating to the next authority up, per grade, ms; absent: never. Default red 5 min, orange 15 min. */
      escalation: z
        .strictObject({
          red: z.number().int().min(1).optional(),
          orange: z.number().int().min(1).optional(),
          yellow: z.number().int().min(1).optional(),
          blue: z.number().int().min(1).optional(),
        })
        .default({ red: 5 * 60_000, orange: 15 * 60_000 }),
      /**
       * Longest an officer may shelve (搁置) a nuisance alarm, ms (ISA-18.2 / EEMUA 191: shelving is time-limited).
       * The bureau's setting; platform default 8 h, one duty shift. At most 24 h.
       */
      maxShelveMs: z
        .number()
        .int()
        .min(60_000)
        .max(24 * 3_600_000)
        .default(8 * 3_600_000),
      /** Time a call to an enterprise channel (SMS provider, DingTalk or WeCom robot) may take, ms, answer included. Default 5,000. */
      channelTimeoutMs: z.number().int().min(100).default(5000),
      /**
       * Accept `http://` URLs for the enterprise channels (robot webhooks, SMS endpoints): tests and development only.
       * Default false: https only, except loopback addresses (127.0.0.0/8, ::1, localhost).
       */
      allowInsecureChannelUrls: z.boolean().default(false),
      /** WeCom group robot send URL; the robot's key is added as `?key=`. Default WeCom's documented one. */
      wecomUrl: z.url().default('https://qyapi.weixin.qq.com/cgi-bin/webhook/send'),
      /** The SMS provider enterprise alarms are texted through (alerts/notify/README.md). Default none: no SMS is sent. */
      sms: z
        .strictObject({
          /** `http`: POST JSON to `url`, signed with `secret` like the webhooks; `aliyun`: Aliyun SMS (dysmsapi SendSms). Default `none`. */
          provider: z.enum(['none', 'http', 'aliyun']).default('none'),
          /** The `http` provider's URL. */
          url: z.url().optional(),
          /** The `http` provider's HMAC-SHA256 key (`X-NSS-Signature`); unsigned without it. */
          secret: z.string().min(1).optional(),
          aliyun: z
            .strictObject({
              /** Default Aliyun's public endpoint. */
              endpoint: z.url().default('https://dysmsapi.aliyuncs.com/'),
              accessKeyId: z.string().min(1).optional(),
              accessKeySecret: z.string().min(1).optional(),
              /** The approved SMS signature (签名名称). */
              signName: z.string().min(1).optional(),
              /** The approved template's code (SMS_…); its variables: README.md. */
              templateCode: z.string().min(1).optional(),
              /** Default cn-hangzhou (Aliyun's SMS region). */
              regionId: z.string().default('cn-hangzhou'),
            })
            .prefault({}),
        })
        .prefault({})
        .superRefine((s, ctx) => {
          if (s.provider === 'http' && s.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'required for the http SMS provider' });
          if (s.provider === 'aliyun')
            for (const k of ['accessKeyId', 'accessKeySecret', 'signName', 'templateCode'] as const)
              if (s.aliyun[k] === undefined) ctx.addIssue({ code: 'custom', path: ['aliyun', k], message: 'required for the aliyun SMS provider' });
        }),
    })
    .prefault({}),
  /**
   * The enterprise's response to its alarms (issue #18; alerts/response/policy.ts has the defaults and their
   * sources: every number is the bureau's setting). Per grade, ms; a grade left out keeps the default.
   */
  response: z
    .strictObject({
      signMs: z.partialRecord(z.enum(['red', 'orange', 'yellow', 'blue']), z.number().int().min(1)).optional(),
      feedbackMs: z.partialRecord(z.enum(['red', 'orange', 'yellow', 'blue']), z.number().int().min(1)).optional(),
      refeedbackMs: z.number().int().min(1).optional(),
      /** How often overdue sign-fors and feedbacks are looked for, ms. Default 10,000 (a limit is met to within it). */
      sweepMs: z.number().int().min(100).default(10_000),
    })
    .prefault({}),
  attachments: z
    .strictObject({
      /**
       * Largest attachment (photo or PDF an enterprise feeds back with, issue #18), bytes. The bureau's setting;
       * platform default 10 MiB (a phone photo is 2-6 MiB). At most 64 MiB: a file is held whole in memory and in one row.
       */
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(10 * 1024 * 1024),
    })
    .prefault({}),
  map: z
    .strictObject({
      /**
       * The bureau's area for the console's map (一张图, issue #20 §7): a GeoJSON FeatureCollection of its
       * divisions (Polygon / MultiPolygon features with `properties.name`, WGS-84 degrees). Use the authorised
       * boundary the bureau holds (标准地图, with its 审图号). Default: the bundled demo area (福州市, deploy/maps/).
       */
      areaFile: z.string().min(1).optional(),
    })
    .prefault({}),
  tasks: z
    .strictObject({
      /** Time after a rectification deadline for the re-check to be recorded before the task escalates as overdue, ms. Default 3 days. */
      recheckGraceMs: z
        .number()
        .int()
        .min(1)
        .default(3 * 86_400_000),
    })
    .prefault({}),
});

export type PlatformConfig = z.output<typeof platformConfigSchema>;
export type PlatformConfigInput = z.input<typeof platformConfigSchema>;

export function parseConfig(input: unknown): PlatformConfig {
  const result = platformConfigSchema.safeParse(input);
  if (result.success) {
    const c = result.data;
    // InfluxDB drops a point older than its retention policy and answers the whole write 400 (partial write), which
    // would dead-letter the messages of that batch: every backlog the ingest accepts must lie inside the raw retention.
    if (c.influx.retention.rawDays * 86_400_000 < c.ingest.maxAgeMs + RAW_RETENTION_MARGIN_MS) {
      const message = `must exceed ingest.maxAgeMs (${c.ingest.maxAgeMs} ms, the oldest backlog accepted) by at least an hour`;
      throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  influx.retention.rawDays: ${message}`, {
        details: [{ path: ['influx', 'retention', 'rawDays'], message }],
      });
    }
    const redisIssue = redisTargetIssue(c);
    if (redisIssue) {
      throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  ${redisIssue.path.join('.')}: ${redisIssue.message}`, { details: [redisIssue] });
    }
    return c;
  }
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new AppError('CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, { details: result.error.issues });
}

/** Redis is reached either by `redisUrl` or through Sentinel (`redisSentinels` + `redisMasterName`), never both. */
function redisTargetIssue(c: PlatformConfig): { path: string[]; message: string } | undefined {
  if (c.redisUrl !== undefined && c.redisSentinels !== undefined) {
    return { path: ['redisSentinels'], message: 'give either redisUrl (REDIS_URL) or redisSentinels (REDIS_SENTINELS), not both' };
  }
  if (c.redisUrl === undefined && c.redisSentinels === undefined) return { path: ['redisUrl'], message: 'required (or redisSentinels with redisMasterName)' };
  if (c.redisSentinels !== undefined && c.redisMasterName === undefined) {
    return { path: ['redisMasterName'], message: "required with redisSentinels (the master group's name in sentinel.conf)" };
  }
  return undefined;
}

/** Where the platform's Redis connections go (`core/connections.ts`): a URL, or Sentinel's master. */
export type RedisTarget = { url: string } | { sentinels: { host: string; port: number }[]; masterName: string; sentinelPassword?: string; password?: string };

export function redisTarget(c: PlatformConfig): RedisTarget {
  if (c.redisSentinels && c.redisMasterName) {
    const sentinels = c.redisSentinels.map((a) => ({ host: a.slice(0, a.lastIndexOf(':')), port: Number(a.slice(a.lastIndexOf(':') + 1)) }));
    return { sentinels, masterName: c.redisMasterName, sentinelPassword: c.redisSentinelPassword, password: c.redisPassword };
  }
  if (c.redisUrl) return { url: c.redisUrl };
  throw new Error('redisUrl or redisSentinels is required');
}

/** Replicas a rules-feed append waits for (`redisReplicasToAck`; its default is 1 behind Sentinel, else 0). */
export const redisReplicasToAck = (c: PlatformConfig): number => c.redisReplicasToAck ?? (c.redisSentinels ? 1 : 0);

const int = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

/** `red=300000,orange=900000` → `{ red: 300000, orange: 900000 }`; '' → `{}` (never escalate); validation is the schema's. */
function escalationFromEnv(v: string | undefined): Record<string, number> | undefined {
  if (v === undefined) return undefined;
  const pairs = v
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const [grade = '', ms = ''] = p.split('=').map((x) => x.trim());
      return [grade, ms === '' ? Number.NaN : Number(ms)] as const;
    });
  return Object.fromEntries(pairs);
}

/** HTTP_TRUST_PROXY: `true` / `false`, or proxies' addresses separated by commas; validation is the schema's. */
function trustProxyFromEnv(v: string | undefined): boolean | string[] | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  return t.split(',').map((a) => a.trim());
}

/**
 * Maps environment variables onto the config input. Service URLs may be filled
 * in afterwards by the local-services starter when they are unset.
 */
export function configInputFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const drop = <T extends Record<string, unknown>>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const nonEmpty = <T extends Record<string, unknown>>(o: T): T | undefined => (Object.keys(o).length > 0 ? o : undefined);
  const signIn = drop({
    windowS: int(env.SIGN_IN_WINDOW_S),
    lockS: int(env.SIGN_IN_LOCK_S),
    perUserAddress: int(env.SIGN_IN_MAX_FAILURES_PER_USER_ADDRESS),
    perAddress: int(env.SIGN_IN_MAX_FAILURES_PER_ADDRESS),
  });
  return drop({
    dataDir: env.DATA_DIR,
    parts: env.PARTS ? env.PARTS.split(',').map((p) => p.trim()) : undefined,
    logLevel: env.LOG_LEVEL,
    redisUrl: env.REDIS_URL,
    redisSentinels: env.REDIS_SENTINELS ? env.REDIS_SENTINELS.split(',').map((a) => a.trim()) : undefined,
    redisMasterName: env.REDIS_MASTER_NAME,
    redisSentinelPassword: env.REDIS_SENTINEL_PASSWORD,
    redisPassword: env.REDIS_PASSWORD,
    redisReplicasToAck: int(env.REDIS_REPLICAS_TO_ACK),
    redisAckTimeoutMs: int(env.REDIS_ACK_TIMEOUT_MS),
    redisPrefix: env.REDIS_PREFIX,
    databaseUrl: env.DATABASE_URL,
    mqtt: drop({
      host: env.MQTT_HOST,
      port: int(env.MQTT_PORT),
      maxPacketBytes: int(env.MQTT_MAX_PACKET_BYTES),
      maxConnections: int(env.MQTT_MAX_CONNECTIONS),
      maxPendingConnections: int(env.MQTT_MAX_PENDING_CONNECTIONS),
      maxConcurrentSecretChecks: int(env.MQTT_MAX_CONCURRENT_SECRET_CHECKS),
      connectTimeoutMs: int(env.MQTT_CONNECT_TIMEOUT_MS),
      maxWriteBufferBytes: int(env.MQTT_MAX_WRITE_BUFFER_BYTES),
      brokerId: env.MQTT_BROKER_ID,
      idleTimeoutMs: int(env.MQTT_IDLE_TIMEOUT_MS),
      heartbeatIntervalMs: int(env.MQTT_HEARTBEAT_INTERVAL_MS),
      plain: env.MQTT_PLAIN === undefined ? undefined : env.MQTT_PLAIN !== 'false',
      tls: nonEmpty(
        drop({
          port: int(env.MQTT_TLS_PORT),
          certFile: env.MQTT_TLS_CERT_FILE,
          keyFile: env.MQTT_TLS_KEY_FILE,
          caFile: env.MQTT_TLS_CA_FILE,
          clientCert: env.MQTT_TLS_CLIENT_CERT,
        }),
      ),
    }),
    rules: drop({
      catalogueFile: env.RULES_CATALOGUE_FILE,
      tickMs: int(env.RULES_TICK_MS),
      snapshotIntervalMs: int(env.RULES_SNAPSHOT_INTERVAL_MS),
      leaseMs: int(env.RULES_LEASE_MS),
      partitions: int(env.RULES_PARTITIONS),
    }),
    notify: drop({
      webhooks: env.NOTIFY_WEBHOOKS ? env.NOTIFY_WEBHOOKS.split(',').map((u) => u.trim()) : undefined,
      webhookSecret: env.NOTIFY_WEBHOOK_SECRET,
      webhookTimeoutMs: int(env.NOTIFY_WEBHOOK_TIMEOUT_MS),
      escalation: escalationFromEnv(env.NOTIFY_ESCALATION),
      maxShelveMs: int(env.NOTIFY_MAX_SHELVE_MS),
      channelTimeoutMs: int(env.NOTIFY_CHANNEL_TIMEOUT_MS),
      allowInsecureChannelUrls: env.NOTIFY_ALLOW_INSECURE_CHANNEL_URLS === undefined ? undefined : env.NOTIFY_ALLOW_INSECURE_CHANNEL_URLS === 'true',
      wecomUrl: env.NOTIFY_WECOM_URL,
      sms: nonEmpty(
        drop({
          provider: env.NOTIFY_SMS_PROVIDER,
          url: env.NOTIFY_SMS_URL,
          secret: env.NOTIFY_SMS_SECRET,
          aliyun: nonEmpty(
            drop({
              endpoint: env.ALIYUN_SMS_ENDPOINT,
              accessKeyId: env.ALIYUN_SMS_ACCESS_KEY_ID,
              accessKeySecret: env.ALIYUN_SMS_ACCESS_KEY_SECRET,
              signName: env.ALIYUN_SMS_SIGN_NAME,
              templateCode: env.ALIYUN_SMS_TEMPLATE_CODE,
              regionId: env.ALIYUN_SMS_REGION_ID,
            }),
          ),
        }),
      ),
    }),
    tasks: drop({ recheckGraceMs: int(env.TASK_RECHECK_GRACE_MS) }),
    response: drop({
      signMs: escalationFromEnv(env.RESPONSE_SIGN_MS),
      feedbackMs: escalationFromEnv(env.RESPONSE_FEEDBACK_MS),
      refeedbackMs: int(env.RESPONSE_REFEEDBACK_MS),
      sweepMs: int(env.RESPONSE_SWEEP_MS),
    }),
    attachments: drop({ maxBytes: int(env.ATTACHMENTS_MAX_BYTES) }),
    map: drop({ areaFile: env.MAP_AREA_FILE }),
    ingest: drop({
      batchMaxDelayMs: int(env.INGEST_BATCH_MAX_DELAY_MS),
      writeWhenIdle: env.INGEST_WRITE_WHEN_IDLE === undefined ? undefined : env.INGEST_WRITE_WHEN_IDLE !== 'false',
      deadLetterCapPerGateway: int(env.DEAD_LETTER_CAP_PER_GATEWAY),
      deadLetterCapWindowMs: int(env.DEAD_LETTER_CAP_WINDOW_MS),
      deadLetterRetentionDays: int(env.DEAD_LETTER_RETENTION_DAYS),
    }),
    http: drop({
      host: env.HTTP_HOST,
      port: int(env.HTTP_PORT),
      adminToken: env.ADMIN_TOKEN,
      signIn: nonEmpty(signIn),
      tls: nonEmpty(drop({ certFile: env.HTTPS_CERT_FILE, keyFile: env.HTTPS_KEY_FILE })),
      trustProxy: trustProxyFromEnv(env.HTTP_TRUST_PROXY),
    }),
    influx: drop({
      url: env.INFLUX_URL,
      database: env.INFLUX_DB,
      token: env.INFLUX_TOKEN,
      username: env.INFLUX_USERNAME,
      password: env.INFLUX_PASSWORD,
      createDatabase: env.INFLUX_CREATE_DB === undefined ? undefined : env.INFLUX_CREATE_DB !== 'false',
      retention: nonEmpty(
        drop({
          manage: env.INFLUX_MANAGE_RETENTION === undefined ? undefined : env.INFLUX_MANAGE_RETENTION !== 'false',
          readRollups: env.INFLUX_READ_ROLLUPS === undefined ? undefined : env.INFLUX_READ_ROLLUPS !== 'false',
          rawDays: int(env.INFLUX_RAW_RETENTION_DAYS),
          rollupDays: int(env.INFLUX_ROLLUP_RETENTION_DAYS),
        }),
      ),
    }),
  });
}
