/** Platform configuration: strict parsing with defaults, and the environment mapping. */
import { describe, expect, it } from 'vitest';
import { configError, MINIMAL_CONFIG } from '../../../testkit/config.ts';
import { configInputFromEnv, parseConfig, redisReplicasToAck, redisTarget } from '../../../core/config.ts';

const minimal = MINIMAL_CONFIG;

describe('parseConfig', () => {
  // toMatchObject: sections added later carry their own defaults and do not break this table.
  it('fills the defaults from a minimal input', () => {
    expect(parseConfig(minimal)).toMatchObject({
      dataDir: 'var',
      logLevel: 'info',
      mqtt: { host: '0.0.0.0', port: 1883, maxPacketBytes: 256 * 1024, keepaliveLimit: 600, maxConnections: 10_000 },
      http: { host: '0.0.0.0', port: 8080 },
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'nss:',
      influx: { url: 'http://127.0.0.1:8086', database: 'safety', createDatabase: true },
      ingest: {
        batchMaxPoints: 5000,
        batchMaxDelayMs: 25,
        maxInflightWrites: 3,
        maxBufferedPoints: 200_000,
        retryBaseDelayMs: 100,
        retryMaxDelayMs: 5000,
        writeTimeoutMs: 10_000,
        maxFutureSkewMs: 600_000,
        maxAgeMs: 30 * 24 * 3600_000,
        deadLetterCapPerGateway: 100,
        deadLetterCapWindowMs: 60_000,
        deadLetterRetentionDays: 30,
        deadLetterExpiryIntervalMs: 3600_000,
      },
    });
  });

  it('keeps given values and fills the rest of a section', () => {
    const c = parseConfig({ ...minimal, mqtt: { port: 0 }, ingest: { batchMaxPoints: 10 } });
    expect(c.mqtt.port).toBe(0);
    expect(c.mqtt.maxPacketBytes).toBe(256 * 1024);
    expect(c.ingest.batchMaxPoints).toBe(10);
    expect(c.ingest.batchMaxDelayMs).toBe(25);
  });

  const invalid: { name: string; input: unknown; names: string[] }[] = [
    { name: 'unknown top-level key', input: { ...minimal, influxUrl: 'x' }, names: ['influxUrl'] },
    { name: 'unknown nested key', input: { ...minimal, mqtt: { prot: 1883 } }, names: ['mqtt', 'prot'] },
    { name: 'unknown key in influx', input: { ...minimal, influx: { ...minimal.influx, bucket: 'b' } }, names: ['influx', 'bucket'] },
    { name: 'bad influx url', input: { ...minimal, influx: { url: 'not a url' } }, names: ['influx.url'] },
    { name: 'missing influx url', input: { ...minimal, influx: {} }, names: ['influx.url'] },
    { name: 'missing influx section', input: { redisUrl: minimal.redisUrl }, names: ['influx'] },
    { name: 'missing redis url', input: { influx: minimal.influx }, names: ['redisUrl'] },
    { name: 'port out of range', input: { ...minimal, mqtt: { port: 70_000 } }, names: ['mqtt.port'] },
    { name: 'port NaN (from a bad env value)', input: { ...minimal, mqtt: { port: Number.NaN } }, names: ['mqtt.port'] },
    { name: 'packet limit below 1 KiB', input: { ...minimal, mqtt: { maxPacketBytes: 100 } }, names: ['mqtt.maxPacketBytes'] },
    { name: 'unknown log level', input: { ...minimal, logLevel: 'verbose' }, names: ['logLevel'] },
    { name: 'fractional batch size', input: { ...minimal, ingest: { batchMaxPoints: 1.5 } }, names: ['ingest.batchMaxPoints'] },
    { name: 'short admin token', input: { ...minimal, http: { adminToken: 'short' } }, names: ['http.adminToken', 'ADMIN_TOKEN', 'openssl rand'] },
    {
      name: 'the old docker-compose default admin token',
      input: { ...minimal, http: { adminToken: 'change-me-admin-token-please' } },
      names: ['http.adminToken', 'ADMIN_TOKEN', 'placeholder'],
    },
    { name: 'a patterned admin token', input: { ...minimal, http: { adminToken: 'x'.repeat(40) } }, names: ['http.adminToken', 'ADMIN_TOKEN'] },
  ];
  it.each(invalid)('rejects $name with CONFIG_INVALID naming the key', ({ input, names }) => {
    const err = configError(input);
    expect(err.code).toBe('CONFIG_INVALID');
    for (const n of names) expect(err.message).toContain(n);
  });

  it('accepts a strong admin token', () => {
    expect(parseConfig({ ...minimal, http: { adminToken: 'kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU' } }).http.adminToken).toBe('kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU');
  });

  it('reports every bad key at once', () => {
    const err = configError({ ...minimal, logLevel: 'verbose', mqtt: { port: -1 } });
    expect(err.message).toContain('logLevel');
    expect(err.message).toContain('mqtt.port');
  });

  it("takes the bureau's attachment size limit: default 10 MiB, between 1 KiB and 64 MiB", () => {
    expect(parseConfig(minimal).attachments.maxBytes).toBe(10 * 1024 * 1024);
    expect(parseConfig({ ...minimal, attachments: { maxBytes: 20 * 1024 * 1024 } }).attachments.maxBytes).toBe(20 * 1024 * 1024);
    expect(configError({ ...minimal, attachments: { maxBytes: 65 * 1024 * 1024 } }).message).toContain('attachments.maxBytes');
    expect(configError({ ...minimal, attachments: { maxBytes: 0 } }).message).toContain('attachments.maxBytes');
  });
});

describe('configInputFromEnv', () => {
  it('maps nothing to empty sections', () => {
    expect(configInputFromEnv({})).toEqual({
      mqtt: {},
      http: {},
      influx: {},
      rules: {},
      notify: {},
      tasks: {},
      response: {},
      attachments: {},
      map: {},
      ingest: {},
    });
  });

  it('maps every variable to its key, numbers as numbers', () => {
    expect(
      configInputFromEnv({
        DATA_DIR: '/data',
        LOG_LEVEL: 'debug',
        REDIS_URL: 'redis://r:6379',
        REDIS_PREFIX: 't:',
        DATABASE_URL: 'postgres://p/db',
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: '1884',
        MQTT_MAX_PACKET_BYTES: '65536',
        MQTT_MAX_CONCURRENT_SECRET_CHECKS: '4',
        MQTT_IDLE_TIMEOUT_MS: '120000',
        MQTT_HEARTBEAT_INTERVAL_MS: '5000',
        HTTP_HOST: '127.0.0.2',
        HTTP_PORT: '8081',
        ADMIN_TOKEN: 'kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU',
        INFLUX_URL: 'http://i:8086',
        INFLUX_DB: 'db1',
        INFLUX_TOKEN: 'tok',
        INFLUX_USERNAME: 'u',
        INFLUX_PASSWORD: 'p',
        INFLUX_CREATE_DB: 'false',
        RULES_CATALOGUE_FILE: '/etc/nss/rules.json',
        RULES_TICK_MS: '500',
        RULES_SNAPSHOT_INTERVAL_MS: '2000',
        NOTIFY_WEBHOOKS: 'https://a.example/hook, https://b.example/hook',
        NOTIFY_WEBHOOK_SECRET: 's3cret',
        NOTIFY_WEBHOOK_TIMEOUT_MS: '2000',
        NOTIFY_ESCALATION: 'red=60000, orange=600000',
        TASK_RECHECK_GRACE_MS: '86400000',
        RESPONSE_SIGN_MS: 'red=120000, orange=600000',
        RESPONSE_FEEDBACK_MS: 'red=1800000',
        RESPONSE_REFEEDBACK_MS: '3600000',
        RESPONSE_SWEEP_MS: '5000',
        ATTACHMENTS_MAX_BYTES: '5242880',
        MAP_AREA_FILE: '/etc/nss/area.geojson',
        INGEST_BATCH_MAX_DELAY_MS: '10',
        INGEST_WRITE_WHEN_IDLE: 'false',
        DEAD_LETTER_CAP_PER_GATEWAY: '50',
        DEAD_LETTER_CAP_WINDOW_MS: '30000',
        DEAD_LETTER_RETENTION_DAYS: '7',
        UNRELATED: 'ignored',
      }),
    ).toEqual({
      dataDir: '/data',
      logLevel: 'debug',
      redisUrl: 'redis://r:6379',
      redisPrefix: 't:',
      databaseUrl: 'postgres://p/db',
      mqtt: { host: '127.0.0.1', port: 1884, maxPacketBytes: 65536, maxConcurrentSecretChecks: 4, idleTimeoutMs: 120_000, heartbeatIntervalMs: 5000 },
      http: { host: '127.0.0.2', port: 8081, adminToken: 'kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU' },
      influx: { url: 'http://i:8086', database: 'db1', token: 'tok', username: 'u', password: 'p', createDatabase: false },
      rules: { catalogueFile: '/etc/nss/rules.json', tickMs: 500, snapshotIntervalMs: 2000 },
      notify: {
        webhooks: ['https://a.example/hook', 'https://b.example/hook'],
        webhookSecret: 's3cret',
        webhookTimeoutMs: 2000,
        escalation: { red: 60000, orange: 600000 },
      },
      tasks: { recheckGraceMs: 86_400_000 },
      response: { signMs: { red: 120_000, orange: 600_000 }, feedbackMs: { red: 1_800_000 }, refeedbackMs: 3_600_000, sweepMs: 5000 },
      attachments: { maxBytes: 5_242_880 },
      map: { areaFile: '/etc/nss/area.geojson' },
      ingest: { batchMaxDelayMs: 10, writeWhenIdle: false, deadLetterCapPerGateway: 50, deadLetterCapWindowMs: 30_000, deadLetterRetentionDays: 7 },
    });
  });

  const createDb: { value: string | undefined; want: boolean | undefined }[] = [
    { value: 'false', want: false },
    { value: 'true', want: true },
    { value: undefined, want: undefined },
  ];
  it.each(createDb)('INFLUX_CREATE_DB=$value → createDatabase $want', ({ value, want }) => {
    const influx = configInputFromEnv(value === undefined ? {} : { INFLUX_CREATE_DB: value }).influx as Record<string, unknown>;
    expect(influx.createDatabase).toBe(want);
    expect('createDatabase' in influx).toBe(want !== undefined);
  });

  it('treats an empty MQTT_PORT as unset, so the default applies', () => {
    const input = configInputFromEnv({ MQTT_PORT: '', REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url });
    expect(input.mqtt).toEqual({});
    expect(parseConfig(input).mqtt.port).toBe(1883);
  });

  it('feeds parseConfig: env values come out typed', () => {
    const c = parseConfig(configInputFromEnv({ REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url, MQTT_PORT: '1884', INFLUX_CREATE_DB: 'false' }));
    expect(c.mqtt.port).toBe(1884);
    expect(c.influx.createDatabase).toBe(false);
  });

  it('maps the SIGN_IN_* variables onto http.signIn; unset, the platform defaults 5 / 20 in 900 s, locked 900 s', () => {
    const base = { REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url };
    expect(parseConfig(configInputFromEnv(base)).http.signIn).toEqual({ windowS: 900, lockS: 900, perUserAddress: 5, perAddress: 20 });
    const env = {
      ...base,
      SIGN_IN_WINDOW_S: '600',
      SIGN_IN_LOCK_S: '1800',
      SIGN_IN_MAX_FAILURES_PER_USER_ADDRESS: '3',
      SIGN_IN_MAX_FAILURES_PER_ADDRESS: '50',
    };
    expect(parseConfig(configInputFromEnv(env)).http.signIn).toEqual({ windowS: 600, lockS: 1800, perUserAddress: 3, perAddress: 50 });
    expect(configError(configInputFromEnv({ ...base, SIGN_IN_MAX_FAILURES_PER_ADDRESS: '0' })).message).toContain('http.signIn.perAddress');
  });

  it('a non-numeric MQTT_PORT is refused by parseConfig naming mqtt.port', () => {
    expect(configError(configInputFromEnv({ REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url, MQTT_PORT: 'abc' })).message).toContain('mqtt.port');
  });

  it.each([
    { value: '', want: {} },
    { value: 'red=1000', want: { red: 1000 } },
    { value: ' red = 1000 , yellow=5 ,', want: { red: 1000, yellow: 5 } },
  ])('NOTIFY_ESCALATION=$value sets exactly those limits (absent grade: never)', ({ value, want }) => {
    expect(
      parseConfig(configInputFromEnv({ REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url, NOTIFY_ESCALATION: value })).notify.escalation,
    ).toEqual(want);
  });

  it.each(['purple=1000', 'red=soon', 'red', 'red=-5'])('NOTIFY_ESCALATION=%s is refused naming notify.escalation', (value) => {
    expect(configError(configInputFromEnv({ REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url, NOTIFY_ESCALATION: value })).message).toContain(
      'notify.escalation',
    );
  });
});

describe('influx.retention (docs/adr/0008)', () => {
  it('defaults: managed, raw 31 days (≥ 30: 危险化学品重大危险源监督管理暂行规定 第十三条; > the 30-day backlog window), rollups 1,830 days', () => {
    expect(parseConfig(minimal).influx.retention).toEqual({ manage: true, readRollups: true, rawDays: 31, rollupDays: 1830, lateRerollIntervalMs: 60_000 });
  });

  it('reads INFLUX_MANAGE_RETENTION, INFLUX_READ_ROLLUPS, INFLUX_RAW_RETENTION_DAYS and INFLUX_ROLLUP_RETENTION_DAYS', () => {
    const env = { REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url };
    const c = parseConfig(
      configInputFromEnv({
        ...env,
        INFLUX_MANAGE_RETENTION: 'false',
        INFLUX_READ_ROLLUPS: 'false',
        INFLUX_RAW_RETENTION_DAYS: '90',
        INFLUX_ROLLUP_RETENTION_DAYS: '3650',
      }),
    );
    expect(c.influx.retention).toEqual({ manage: false, readRollups: false, rawDays: 90, rollupDays: 3650, lateRerollIntervalMs: 60_000 });
  });

  it.each([
    { name: 'raw retention under the 30-day minimum', retention: { rawDays: 29 }, says: 'influx.retention.rawDays: at least 30 days' },
    { name: 'a fractional day', retention: { rollupDays: 365.5 }, says: 'influx.retention.rollupDays' },
    { name: 'an unknown key', retention: { rawHours: 720 }, says: 'rawHours' },
    {
      name: '30 days, which the 30-day backlog window would outlive',
      retention: { rawDays: 30 },
      says: 'influx.retention.rawDays: must exceed ingest.maxAgeMs',
    },
  ])('refuses $name, naming the key', ({ retention, says }) => {
    expect(() => parseConfig({ ...minimal, influx: { ...minimal.influx, retention } })).toThrow(says);
  });

  it('30 days raw is accepted with a backlog window an hour shorter', () => {
    const c = parseConfig({ ...minimal, influx: { ...minimal.influx, retention: { rawDays: 30 } }, ingest: { maxAgeMs: 30 * 86_400_000 - 3600_000 } });
    expect(c.influx.retention.rawDays).toBe(30);
  });
});

describe('Redis through Sentinel (issue #19 §4)', () => {
  const influx = minimal.influx;
  const sentinel = { redisSentinels: ['10.0.0.1:26379', 'redis-s2:26380'], redisMasterName: 'nss', influx };

  it('takes Sentinels and the master name instead of redisUrl; the feed then waits for one replica (default), 1000 ms', () => {
    const c = parseConfig(sentinel);
    expect(redisTarget(c)).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'redis-s2', port: 26380 },
      ],
      masterName: 'nss',
      sentinelPassword: undefined,
      password: undefined,
    });
    expect(redisReplicasToAck(c)).toBe(1);
    expect(c.redisAckTimeoutMs).toBe(1000);
    expect(redisReplicasToAck(parseConfig({ ...sentinel, redisReplicasToAck: 0 }))).toBe(0);
  });

  it('keeps a single Redis (redisUrl) as it was: no wait for replicas unless asked', () => {
    const c = parseConfig(minimal);
    expect(redisTarget(c)).toEqual({ url: minimal.redisUrl });
    expect(redisReplicasToAck(c)).toBe(0);
    expect(redisReplicasToAck(parseConfig({ ...minimal, redisReplicasToAck: 2 }))).toBe(2);
  });

  it.each([
    { name: 'both redisUrl and Sentinels', input: { ...sentinel, redisUrl: minimal.redisUrl }, says: 'redisSentinels: give either redisUrl' },
    { name: 'Sentinels without the master name', input: { redisSentinels: ['h:26379'], influx }, says: 'redisMasterName: required' },
    { name: 'neither', input: { influx }, says: 'redisUrl: required' },
    { name: 'a Sentinel without a port', input: { ...sentinel, redisSentinels: ['h'] }, says: 'redisSentinels.0: host:port' },
    { name: 'a Sentinel port out of range', input: { ...sentinel, redisSentinels: ['h:70000'] }, says: 'redisSentinels.0: port at most 65535' },
    { name: 'an empty Sentinel list', input: { ...sentinel, redisSentinels: [] }, says: 'redisSentinels' },
    { name: 'negative replicas', input: { ...sentinel, redisReplicasToAck: -1 }, says: 'redisReplicasToAck' },
    { name: 'a zero timeout (WAIT 0 waits for ever)', input: { ...sentinel, redisAckTimeoutMs: 0 }, says: 'redisAckTimeoutMs' },
  ])('refuses $name, naming the key', ({ input, says }) => {
    const err = configError(input);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain(says);
  });

  it('reads REDIS_SENTINELS, REDIS_MASTER_NAME, REDIS_SENTINEL_PASSWORD, REDIS_PASSWORD, REDIS_REPLICAS_TO_ACK, REDIS_ACK_TIMEOUT_MS', () => {
    const c = parseConfig(
      configInputFromEnv({
        REDIS_SENTINELS: 's1:26379, s2:26379',
        REDIS_MASTER_NAME: 'nss',
        REDIS_SENTINEL_PASSWORD: 'sp',
        REDIS_PASSWORD: 'rp',
        REDIS_REPLICAS_TO_ACK: '2',
        REDIS_ACK_TIMEOUT_MS: '250',
        INFLUX_URL: influx.url,
      }),
    );
    expect(redisTarget(c)).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'nss',
      sentinelPassword: 'sp',
      password: 'rp',
    });
    expect(redisReplicasToAck(c)).toBe(2);
    expect(c.redisAckTimeoutMs).toBe(250);
  });
});
