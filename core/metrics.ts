import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one platform instance. A registry per instance (not
 * prom-client's global one) so tests can run several platforms in one process.
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'nss_' });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    mqttConnections: new Gauge({ name: 'nss_mqtt_connections', help: 'Connected MQTT clients', registers: [registry] }),
    rulesLeaseHeld: new Gauge({
      name: 'nss_rules_lease_held',
      help: 'Whether this node runs the rules now (holds their lease): 1 or 0',
      registers: [registry],
    }),
    rulesTerms: counter('nss_rules_terms_total', 'Terms of the rules lease this node began (each from the snapshot and the feed)'),
    mqttTakeovers: counter(
      'nss_mqtt_takeovers_total',
      'Gateway connections that ended because a newer connection of the gateway took over, on this node (here) or another (elsewhere): not recorded offline',
      ['where'],
    ),
    mqttStaleAnnouncements: counter(
      'nss_mqtt_stale_announcements_total',
      "Another broker's announcement of a gateway's connection that arrived after a newer connection of the gateway on this node: ignored, the newer connection kept",
    ),
    mqttPendingConnections: new Gauge({
      name: 'nss_mqtt_pending_connections',
      help: 'MQTT connections accepted but not yet authenticated',
      registers: [registry],
    }),
    mqttSecretChecks: counter(
      'nss_mqtt_secret_checks_total',
      'Gateway secret (scrypt) checks run at CONNECT, unknown gateway ids included (against a decoy hash)',
    ),
    mqttRefusals: counter('nss_mqtt_refusals_total', 'Connections, publishes and subscriptions refused by the broker, by reason', ['action', 'reason']),
    messagesReceived: counter('nss_ingest_messages_received_total', 'Messages received on uplink topics', ['channel']),
    itemsReceived: counter('nss_ingest_items_received_total', 'Readings and signals received', ['type']),
    pointsWritten: counter('nss_ingest_points_written_total', 'Points durably written to InfluxDB'),
    rejected: counter('nss_ingest_rejected_total', 'Messages or items dead-lettered, by reason', ['reason']),
    deadLettersDropped: counter(
      'nss_ingest_dead_letters_dropped_total',
      'Dead letters counted but not stored: over the per-gateway cap of the window (ingest.deadLetterCapPerGateway), by reason',
      ['reason'],
    ),
    deadLettersExpired: counter('nss_ingest_dead_letters_expired_total', 'Dead letters deleted after the retention (ingest.deadLetterRetentionDays)'),
    deadLetterFailures: counter('nss_ingest_dead_letter_failures_total', 'Dead letters that could not be stored (the message was not acknowledged)'),
    writeFailures: counter('nss_influx_write_failures_total', 'Failed InfluxDB writes, by kind', ['kind']),
    bufferedPoints: new Gauge({ name: 'nss_ingest_buffered_points', help: 'Points accepted but not yet durably written', registers: [registry] }),
    inflightWrites: new Gauge({ name: 'nss_influx_inflight_writes', help: 'InfluxDB writes in flight', registers: [registry] }),
    writeLatency: new Histogram({
      name: 'nss_influx_write_seconds',
      help: 'Duration of successful InfluxDB writes',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'nss_influx_batch_points',
      help: 'Points per InfluxDB write',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
      registers: [registry],
    }),
    gatewayStatusChanges: counter('nss_gateway_status_changes_total', 'Gateway online/offline transitions', ['state']),
    gatewayStatusRetries: counter('nss_gateway_status_retries_total', 'Gateway status writes retried, by stage (postgres, record)', ['stage']),
    gatewayStatusLost: counter('nss_gateway_status_lost_total', 'Gateway status transitions still unpersisted at shutdown'),
    feedAppendFailures: counter(
      'nss_rules_feed_append_failures_total',
      'Stored messages that could not be queued for the rules worker (the message was not acknowledged)',
    ),
    feedReplicationShortfalls: counter(
      'nss_rules_feed_replication_shortfalls_total',
      'Rules-feed appends that redisReplicasToAck replicas did not confirm (WAIT) in time, or whose connection dropped before they did (not acknowledged; also counted in the append failures)',
      ['reason'],
    ),
    feedReplicationSeconds: new Histogram({
      name: 'nss_rules_feed_replication_seconds',
      help: 'Time from a rules-feed append to its replicas confirming it (Redis WAIT), when redisReplicasToAck > 0',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    rulesEntries: counter('nss_rules_feed_entries_total', 'Feed entries the rules worker processed, by outcome', ['outcome']),
    rulesObservations: counter('nss_rules_observations_total', 'Readings, signals and gateway transitions evaluated, by type', ['type']),
    rulesFindings: counter('nss_rules_findings_total', 'Pattern findings, by condition', ['condition']),
    alertTransitions: counter('nss_alert_transitions_total', 'Alert transitions applied, by outcome', ['outcome']),
    rulesInstances: new Gauge({ name: 'nss_rules_instances', help: 'Rule instances evaluated (rules × points, zones, gateways)', registers: [registry] }),
    pointsUnmonitored: new Gauge({
      name: 'nss_points_unmonitored',
      help: 'Provisioned points no hazard rule watches (status unmonitored) or watched only with default limits (status default)',
      labelNames: ['status'],
      registers: [registry],
    }),
    rulesFeedLag: new Gauge({ name: 'nss_rules_feed_lag_entries', help: 'Feed entries not yet processed by the rules worker', registers: [registry] }),
    rulesErrors: counter('nss_rules_errors_total', 'Rules worker errors (retried), by stage', ['stage']),
    registryFiles: counter('nss_point_registry_files_total', 'Point registry spreadsheets imported, checked (dry run), refused and exported', [
      'operation',
      'outcome',
    ]),
    rulesStopSuppressed: counter('nss_rules_stop_suppressed_total', 'Silence and offline alerts held back under a planned stop (停产/检修)', []),
    apiRefusals: counter('nss_api_refusals_total', "API requests refused as the caller's mistake (4xx), by error code", ['code']),
    logins: counter('nss_api_logins_total', 'Console sign-ins and password changes, by outcome (ok, bad_credentials, bad_current_password, rate_limited)', [
      'outcome',
    ]),
    attachments: counter('nss_attachments_total', 'Attachments stored, refused and served, by operation and outcome', ['operation', 'outcome']),
    attachmentIntegrityFailures: counter(
      'nss_attachment_integrity_failures_total',
      'Stored attachments whose bytes no longer match their recorded SHA-256 (refused, not served)',
    ),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
