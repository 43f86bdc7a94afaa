import type { Db } from './types.ts';
import { ADVISORY_LOCKS } from './locks.ts';

/**
 * Schema migrations, applied in order, once each, in one transaction per
 * migration. The same SQL runs on PGlite and on a PostgreSQL server.
 * Never edit an applied migration: add a new one.
 */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'ledger, gateways, sensors, dead letters',
    sql: `
      CREATE TABLE authorities (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        level       text NOT NULL CHECK (level IN ('province', 'city', 'county')),
        parent_id   text REFERENCES authorities(id),
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE enterprises (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        sector        text NOT NULL,
        authority_id  text REFERENCES authorities(id),
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE gateways (
        id                 text PRIMARY KEY,
        enterprise_id      text NOT NULL REFERENCES enterprises(id),
        name               text NOT NULL DEFAULT '',
        secret_hash        text NOT NULL,
        disabled           boolean NOT NULL DEFAULT false,
        status             text NOT NULL DEFAULT 'never_seen' CHECK (status IN ('never_seen', 'online', 'offline')),
        status_changed_at  timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX gateways_enterprise ON gateways(enterprise_id);
      CREATE TABLE sensors (
        enterprise_id  text NOT NULL REFERENCES enterprises(id),
        id             text NOT NULL,
        gateway_id     text NOT NULL REFERENCES gateways(id),
        kind           text NOT NULL,
        unit           text NOT NULL DEFAULT '',
        period_s       integer NOT NULL CHECK (period_s > 0),
        zone           text,
        role           text,
        name           text NOT NULL DEFAULT '',
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (enterprise_id, id)
      );
      CREATE INDEX sensors_gateway ON sensors(gateway_id);
      CREATE TABLE gateway_events (
        id          bigserial PRIMARY KEY,
        gateway_id  text NOT NULL REFERENCES gateways(id),
        state       text NOT NULL,
        reason      text NOT NULL,
        at          timestamptz NOT NULL
      );
      CREATE INDEX gateway_events_gateway ON gateway_events(gateway_id, at);
      CREATE TABLE dead_letters (
        id             bigserial PRIMARY KEY,
        received_at    timestamptz NOT NULL,
        client_id      text NOT NULL,
        enterprise_id  text,
        gateway_id     text,
        topic          text NOT NULL,
        reason_code    text NOT NULL,
        reason         text NOT NULL,
        item_index     integer,
        payload        text NOT NULL
      );
      CREATE INDEX dead_letters_received ON dead_letters(received_at);
      CREATE INDEX dead_letters_gateway ON dead_letters(gateway_id, received_at);
    `,
  },
  {
    version: 2,
    name: 'alerts, append-only hash-chained alert events, evidence snapshots',
    sql: `
      CREATE TABLE alerts (
        id             text PRIMARY KEY,
        fingerprint    text NOT NULL,
        rule_id        text NOT NULL,
        rule_version   integer NOT NULL,
        enterprise_id  text NOT NULL,
        subject        text NOT NULL,
        severity       text NOT NULL CHECK (severity IN ('blue', 'yellow', 'orange', 'red')),
        state          text NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved', 'disposed')),
        started_at     timestamptz NOT NULL,
        fired_at       timestamptz,
        resolved_at    timestamptz,
        data           jsonb NOT NULL,
        rev            integer NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX alerts_one_active_per_fingerprint ON alerts(fingerprint) WHERE state IN ('pending', 'firing', 'acknowledged');
      CREATE INDEX alerts_fingerprint ON alerts(fingerprint, started_at DESC);
      CREATE INDEX alerts_enterprise_state ON alerts(enterprise_id, state);
      CREATE INDEX alerts_state_fired ON alerts(state, fired_at DESC);
      CREATE TABLE alert_evidence (
        hash        text PRIMARY KEY,
        content     jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE alert_events (
        seq            bigserial PRIMARY KEY,
        alert_id       text NOT NULL REFERENCES alerts(id),
        fingerprint    text NOT NULL,
        enterprise_id  text NOT NULL,
        type           text NOT NULL,
        at             timestamptz NOT NULL,
        actor          text NOT NULL,
        from_state     text,
        to_state       text NOT NULL,
        severity       text NOT NULL,
        reason         text NOT NULL,
        detail         text NOT NULL,
        note           text,
        extra          jsonb,
        evidence_hash  text REFERENCES alert_evidence(hash),
        prev_hash      text NOT NULL,
        hash           text NOT NULL UNIQUE,
        recorded_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX alert_events_alert ON alert_events(alert_id, seq);
      CREATE FUNCTION nss_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'table % is append-only: corrections are new records', TG_TABLE_NAME;
      END
      $$;
      CREATE TRIGGER alert_events_append_only BEFORE UPDATE OR DELETE ON alert_events FOR EACH ROW EXECUTE FUNCTION nss_forbid_change();
      CREATE TRIGGER alert_evidence_append_only BEFORE UPDATE OR DELETE ON alert_evidence FOR EACH ROW EXECUTE FUNCTION nss_forbid_change();
    `,
  },
  {
    version: 3,
    name: 'sensors: registered alarm marks, instrument range and resolution',
    sql: `
      ALTER TABLE sensors ADD COLUMN marks jsonb;
      ALTER TABLE sensors ADD COLUMN range_min double precision;
      ALTER TABLE sensors ADD COLUMN range_max double precision;
      ALTER TABLE sensors ADD COLUMN resolution double precision CHECK (resolution > 0);
      ALTER TABLE sensors ADD CONSTRAINT sensors_range CHECK ((range_min IS NULL) = (range_max IS NULL) AND (range_min IS NULL OR range_min < range_max));
      CREATE INDEX sensors_enterprise ON sensors(enterprise_id);
    `,
  },
  {
    version: 4,
    name: 'officers with API tokens scoped to their authority; alert listing indexes',
    sql: `
      CREATE TABLE officers (
        id            text PRIMARY KEY,
        name          text NOT NULL,
        authority_id  text NOT NULL REFERENCES authorities(id),
        token_hash    text NOT NULL UNIQUE,
        disabled      boolean NOT NULL DEFAULT false,
        created_at    timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX enterprises_authority ON enterprises(authority_id);
      CREATE INDEX authorities_parent ON authorities(parent_id);
      CREATE INDEX alerts_started ON alerts(started_at DESC);
      CREATE INDEX alert_events_enterprise ON alert_events(enterprise_id, seq);
    `,
  },
  {
    version: 5,
    name: 'rule overrides: alarm limits an enterprise registers, per enterprise or per sensor',
    sql: `
      CREATE TABLE rule_overrides (
        enterprise_id  text NOT NULL REFERENCES enterprises(id),
        sensor_id      text NOT NULL DEFAULT '',
        rule_id        text NOT NULL,
        params         jsonb NOT NULL,
        updated_at     timestamptz NOT NULL,
        updated_by     text NOT NULL,
        PRIMARY KEY (enterprise_id, sensor_id, rule_id)
      );
      CREATE INDEX alerts_rule_active ON alerts(rule_id) WHERE state IN ('pending', 'firing', 'acknowledged');
    `,
  },
  {
    version: 6,
    name: 'enterprise ledger (high-risk flag, standardization grade, dynamic risk factors, key enterprise) and inspections with their yearly counts',
    sql: `
      ALTER TABLE enterprises ADD COLUMN high_risk boolean;
      ALTER TABLE enterprises ADD COLUMN standardization_grade text NOT NULL DEFAULT 'ungraded' CHECK (standardization_grade IN ('1', '2', '3', 'ungraded'));
      ALTER TABLE enterprises ADD COLUMN risk_factors jsonb NOT NULL DEFAULT '[]';
      ALTER TABLE enterprises ADD COLUMN key_enterprise boolean NOT NULL DEFAULT false;
      CREATE TABLE inspections (
        id             text PRIMARY KEY,
        enterprise_id  text NOT NULL REFERENCES enterprises(id),
        authority_id   text NOT NULL REFERENCES authorities(id),
        origin         text NOT NULL CHECK (origin IN ('annual_plan', 'random', 'dynamic', 'complaint', 'referral', 'data_monitoring', 'recheck')),
        joint          boolean NOT NULL,
        exempt         boolean NOT NULL,
        at             timestamptz NOT NULL,
        year           integer NOT NULL,
        note           text NOT NULL DEFAULT '',
        created_by     text NOT NULL,
        created_at     timestamptz NOT NULL
      );
      CREATE INDEX inspections_enterprise_year ON inspections(enterprise_id, year);
    `,
  },
  {
    version: 7,
    name: 'audit trail: append-only, hash-chained records of every action on the ledger, inspections, rules and officers',
    sql: `
      CREATE TABLE audit_log (
        seq           bigserial PRIMARY KEY,
        at            timestamptz NOT NULL,
        actor         text NOT NULL,
        action        text NOT NULL,
        subject_type  text NOT NULL,
        subject_id    text NOT NULL,
        data          jsonb NOT NULL,
        prev_hash     text NOT NULL,
        hash          text NOT NULL UNIQUE
      );
      CREATE INDEX audit_log_subject ON audit_log(subject_type, subject_id, seq);
    `,
  },
  {
    version: 8,
    name: 'inspection tasks: one open task per enterprise and matter, the alerts attached to them, their events',
    sql: `
      CREATE TABLE tasks (
        id             text PRIMARY KEY,
        enterprise_id  text NOT NULL REFERENCES enterprises(id),
        authority_id   text NOT NULL REFERENCES authorities(id),
        matter         text NOT NULL,
        origin         text NOT NULL,
        state          text NOT NULL,
        data           jsonb NOT NULL,
        rev            integer NOT NULL,
        created_at     timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX tasks_one_open_per_matter ON tasks(enterprise_id, matter) WHERE state NOT IN ('closed', 'escalated') AND origin <> 'recheck';
      CREATE INDEX tasks_authority_state ON tasks(authority_id, state);
      CREATE TABLE task_alerts (
        alert_id  text PRIMARY KEY,
        task_id   text NOT NULL REFERENCES tasks(id)
      );
      CREATE TABLE task_events (
        seq        bigserial PRIMARY KEY,
        task_id    text NOT NULL REFERENCES tasks(id),
        type       text NOT NULL,
        at         timestamptz NOT NULL,
        actor      text NOT NULL,
        from_state text NOT NULL,
        to_state   text NOT NULL,
        detail     text NOT NULL
      );
      CREATE INDEX task_events_task ON task_events(task_id, seq);
    `,
  },
  {
    version: 9,
    name: 'officer roles (duty officer, inspector, leader); inspections done for a task; task listing indexes',
    sql: `
      ALTER TABLE officers ADD COLUMN role text NOT NULL DEFAULT 'duty_officer' CHECK (role IN ('duty_officer', 'inspector', 'leader'));
      ALTER TABLE inspections ADD COLUMN task_id text REFERENCES tasks(id);
      CREATE INDEX inspections_task ON inspections(task_id) WHERE task_id IS NOT NULL;
      CREATE INDEX tasks_created ON tasks(created_at DESC);
      CREATE INDEX tasks_inspector ON tasks((data->>'inspectorId'), state);
      CREATE INDEX tasks_enterprise_state ON tasks(enterprise_id, state);
    `,
  },
  {
    version: 10,
    name: 'append-only: the audit trail, task events and inspections refuse UPDATE and DELETE (corrections are new records)',
    sql: `
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION nss_forbid_change();
      CREATE TRIGGER task_events_append_only BEFORE UPDATE OR DELETE ON task_events FOR EACH ROW EXECUTE FUNCTION nss_forbid_change();
      CREATE TRIGGER inspections_append_only BEFORE UPDATE OR DELETE ON inspections FOR EACH ROW EXECUTE FUNCTION nss_forbid_change();
    `,
  },
  {
    version: 11,
    name: 'console users: officers with passwords (and the admin role), sessions that expire',
    sql: `
      ALTER TABLE officers DROP CONSTRAINT officers_role_check;
      ALTER TABLE officers ADD CONSTRAINT officers_role_check CHECK (role IN ('duty_officer', 'inspector', 'leader', 'admin'));
      ALTER TABLE officers ADD COLUMN password_hash text;
      CREATE TABLE sessions (
        token_hash    text PRIMARY KEY,
        officer_id    text REFERENCES officers(id),
        created_at    timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        last_seen_at  timestamptz NOT NULL,
        ip            text NOT NULL DEFAULT ''
      );
      CREATE INDEX sessions_officer ON sessions(officer_id);
      CREATE INDEX sessions_expires ON sessions(expires_at);
    `,
  },
  {
    version: 12,
    name: 'the basis of an exempt inspection (alerts, complaint or referral number); task kinds (remote verification)',
    sql: `
      ALTER TABLE inspections ADD COLUMN basis_alert_ids jsonb NOT NULL DEFAULT '[]'::jsonb;
      ALTER TABLE inspections ADD COLUMN basis_ref text;
      ALTER TABLE tasks ADD COLUMN kind text NOT NULL DEFAULT 'inspection' CHECK (kind IN ('inspection', 'remote_verification'));
    `,
  },
  {
    version: 13,
    name: 'enterprise identity: unified social credit code (GB 32100-2015, unique when present), address, WGS-84 coordinates, safety manager and phone',
    sql: `
      ALTER TABLE enterprises ADD COLUMN credit_code text CONSTRAINT enterprises_credit_code_key UNIQUE CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$');
      ALTER TABLE enterprises ADD COLUMN address text;
      ALTER TABLE enterprises ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180);
      ALTER TABLE enterprises ADD COLUMN latitude double precision CHECK (latitude BETWEEN -90 AND 90);
      ALTER TABLE enterprises ADD CONSTRAINT enterprises_coordinates_together CHECK ((longitude IS NULL) = (latitude IS NULL));
      ALTER TABLE enterprises ADD COLUMN safety_manager_name text;
      ALTER TABLE enterprises ADD COLUMN safety_manager_phone text;
    `,
  },
  {
    version: 14,
    name: 'major hazard sources (重大危险源): code unique within the enterprise, name, level 1–4 and R value (GB 18218-2018), the three responsible persons with phones',
    sql: `
      CREATE TABLE major_hazard_sources (
        enterprise_id      text NOT NULL REFERENCES enterprises(id),
        code               text NOT NULL,
        name               text NOT NULL,
        level              smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
        r_value            double precision NOT NULL CHECK (r_value >= 0),
        main_name          text NOT NULL,
        main_phone         text NOT NULL,
        technical_name     text NOT NULL,
        technical_phone    text NOT NULL,
        operational_name   text NOT NULL,
        operational_phone  text NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (enterprise_id, code)
      );
    `,
  },
  {
    version: 15,
    name: 'point registry: tag number (位号, unique in the enterprise), indicator code (指标编码), CAS number, location, major hazard source, stopped on record (停用: reason, person, time), explicit links between points',
    sql: `
      ALTER TABLE sensors ADD COLUMN tag_no text;
      UPDATE sensors SET tag_no = id;
      ALTER TABLE sensors ALTER COLUMN tag_no SET NOT NULL;
      ALTER TABLE sensors ADD CONSTRAINT sensors_tag_no_key UNIQUE (enterprise_id, tag_no);
      ALTER TABLE sensors ADD COLUMN indicator_code text;
      ALTER TABLE sensors ADD COLUMN cas_no text CHECK (cas_no ~ '^[0-9]{2,7}-[0-9]{2}-[0-9]$');
      ALTER TABLE sensors ADD COLUMN location text;
      ALTER TABLE sensors ADD COLUMN hazard_source_code text;
      ALTER TABLE sensors ADD CONSTRAINT sensors_hazard_source_fkey FOREIGN KEY (enterprise_id, hazard_source_code) REFERENCES major_hazard_sources(enterprise_id, code);
      ALTER TABLE sensors ADD COLUMN stopped_at timestamptz;
      ALTER TABLE sensors ADD COLUMN stopped_reason text;
      ALTER TABLE sensors ADD COLUMN stopped_by text;
      ALTER TABLE sensors ADD CONSTRAINT sensors_stopped_together CHECK ((stopped_at IS NULL) = (stopped_reason IS NULL) AND (stopped_at IS NULL) = (stopped_by IS NULL));
      CREATE TABLE point_links (
        enterprise_id  text NOT NULL,
        point_id       text NOT NULL,
        relation       text NOT NULL,
        target_id      text NOT NULL,
        PRIMARY KEY (enterprise_id, point_id, relation, target_id),
        FOREIGN KEY (enterprise_id, point_id) REFERENCES sensors(enterprise_id, id),
        FOREIGN KEY (enterprise_id, target_id) REFERENCES sensors(enterprise_id, id),
        CHECK (point_id <> target_id)
      );
    `,
  },
  {
    version: 16,
    name: 'planned stops on record (停产/检修): scope (enterprise, zone, major hazard source, gateway, points), reason, responsible person, start, expected end, ended or cancelled; alerts held back under one counted',
    sql: `
      CREATE TABLE planned_stops (
        id                 text PRIMARY KEY,
        enterprise_id      text NOT NULL REFERENCES enterprises(id),
        scope              text NOT NULL CHECK (scope IN ('enterprise', 'zone', 'hazard_source', 'gateway', 'points')),
        targets            jsonb NOT NULL DEFAULT '[]',
        kind               text NOT NULL CHECK (kind IN ('production_stop', 'maintenance')),
        reason             text NOT NULL,
        person_name        text NOT NULL,
        person_phone       text NOT NULL,
        registered_by      text NOT NULL,
        registered_at      timestamptz NOT NULL,
        starts_at          timestamptz NOT NULL,
        expected_end_at    timestamptz NOT NULL CHECK (expected_end_at > starts_at),
        ended_at           timestamptz,
        ended_by           text,
        cancelled_at       timestamptz,
        cancelled_by       text,
        cancel_reason      text,
        suppressed_alerts  integer NOT NULL DEFAULT 0,
        CHECK ((ended_at IS NULL) = (ended_by IS NULL)),
        CHECK ((cancelled_at IS NULL) = (cancelled_by IS NULL)),
        CHECK (ended_at IS NULL OR cancelled_at IS NULL)
      );
      CREATE INDEX planned_stops_enterprise ON planned_stops(enterprise_id, starts_at DESC);
      CREATE INDEX planned_stops_open ON planned_stops(starts_at) WHERE ended_at IS NULL AND cancelled_at IS NULL;
    `,
  },
  {
    version: 17,
    name: 'risk warnings (预警) per enterprise and major hazard source: the current level with its factors, and every change of level as an event',
    sql: `
      CREATE TABLE risk_warnings (
        enterprise_id       text NOT NULL REFERENCES enterprises(id),
        hazard_source_code  text NOT NULL DEFAULT '',
        level               text NOT NULL CHECK (level IN ('none', 'blue', 'yellow', 'orange', 'red')),
        since               timestamptz NOT NULL,
        factors             jsonb NOT NULL,
        policy_version      integer NOT NULL,
        evaluated_at        timestamptz NOT NULL,
        PRIMARY KEY (enterprise_id, hazard_source_code)
      );
      CREATE TABLE risk_warning_events (
        id                  bigserial PRIMARY KEY,
        enterprise_id       text NOT NULL REFERENCES enterprises(id),
        hazard_source_code  text NOT NULL DEFAULT '',
        from_level          text NOT NULL,
        to_level            text NOT NULL,
        at                  timestamptz NOT NULL,
        factors             jsonb NOT NULL,
        policy_version      integer NOT NULL
      );
      CREATE INDEX risk_warning_events_enterprise ON risk_warning_events(enterprise_id, id);
    `,
  },
  {
    version: 18,
    name: "enterprise users (issue #18): an enterprise's safety manager and responsible persons, scoped to their enterprise; users' phone numbers",
    sql: `
      ALTER TABLE officers DROP CONSTRAINT officers_role_check;
      ALTER TABLE officers ADD CONSTRAINT officers_role_check
        CHECK (role IN ('duty_officer', 'inspector', 'leader', 'admin', 'safety_manager', 'responsible_person'));
      ALTER TABLE officers ADD COLUMN enterprise_id text REFERENCES enterprises(id);
      ALTER TABLE officers ADD COLUMN phone text;
      ALTER TABLE officers ALTER COLUMN authority_id DROP NOT NULL;
      ALTER TABLE officers ADD CONSTRAINT officers_enterprise_role
        CHECK ((role IN ('safety_manager', 'responsible_person')) = (enterprise_id IS NOT NULL));
      ALTER TABLE officers ADD CONSTRAINT officers_authority_role
        CHECK (role IN ('safety_manager', 'responsible_person') OR authority_id IS NOT NULL);
      CREATE INDEX officers_enterprise ON officers(enterprise_id) WHERE enterprise_id IS NOT NULL;
    `,
  },
  {
    version: 19,
    name: "the enterprise's response to its alarms (issue #18): sign-for, feedback, review, clearing, supervision, remote verification; every step an event",
    sql: `
      CREATE TABLE alert_responses (
        alert_id              text PRIMARY KEY REFERENCES alerts(id),
        enterprise_id         text NOT NULL REFERENCES enterprises(id),
        rule_id               text NOT NULL,
        subject               text NOT NULL,
        severity              text NOT NULL,
        kind                  text NOT NULL,
        state                 text NOT NULL,
        opened_at             timestamptz NOT NULL,
        sign_due_at           timestamptz NOT NULL,
        feedback_due_at       timestamptz NOT NULL,
        signed_at             timestamptz,
        feedback_at           timestamptz,
        cause                 text,
        repeated_false_alarm  boolean NOT NULL DEFAULT false,
        rejections            integer NOT NULL DEFAULT 0,
        cleared_at            timestamptz,
        data                  jsonb NOT NULL,
        rev                   integer NOT NULL DEFAULT 1
      );
      CREATE INDEX alert_responses_enterprise ON alert_responses(enterprise_id, opened_at DESC);
      CREATE INDEX alert_responses_owing ON alert_responses(feedback_due_at) WHERE state IN ('awaiting_sign', 'awaiting_feedback');
      CREATE INDEX alert_responses_false ON alert_responses(enterprise_id, rule_id, subject, feedback_at) WHERE cause = 'false_alarm';
      CREATE TABLE alert_response_events (
        seq            bigserial PRIMARY KEY,
        alert_id       text NOT NULL REFERENCES alert_responses(alert_id),
        enterprise_id  text NOT NULL,
        type           text NOT NULL,
        at             timestamptz NOT NULL,
        actor          text NOT NULL,
        data           jsonb NOT NULL
      );
      CREATE INDEX alert_response_events_alert ON alert_response_events(alert_id, seq);
      CREATE TABLE alert_verifications (
        id             bigserial PRIMARY KEY,
        alert_id       text NOT NULL REFERENCES alerts(id),
        enterprise_id  text NOT NULL,
        method         text NOT NULL,
        outcome        text NOT NULL,
        note           text NOT NULL,
        at             timestamptz NOT NULL,
        actor          text NOT NULL
      );
      CREATE INDEX alert_verifications_alert ON alert_verifications(alert_id, id);
    `,
  },
  // 19 is the lead's (issue #18); this one is numbered 20 so the two merge in either order.
  {
    version: 20,
    name: "enterprise notification channels (issue #18): each enterprise's settings (SMS recipients, DingTalk and WeCom robots, grades pushed) and each delivery's outcome on the alarm",
    sql: `
      CREATE TABLE enterprise_notify_settings (
        enterprise_id text PRIMARY KEY REFERENCES enterprises(id),
        sms_enabled boolean NOT NULL DEFAULT false,
        sms_user_ids text[] NOT NULL DEFAULT '{}',
        sms_phones text[] NOT NULL DEFAULT '{}',
        dingtalk_webhook text,
        dingtalk_secret text,
        wecom_key text,
        grades text[] NOT NULL DEFAULT '{red,orange,yellow,blue}',
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE alert_deliveries (
        job_id text PRIMARY KEY,
        alert_id text NOT NULL,
        enterprise_id text NOT NULL,
        event_seq bigint NOT NULL,
        event_key text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('sms', 'dingtalk', 'wecom')),
        recipients text[] NOT NULL DEFAULT '{}',
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'retrying', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        provider_code text,
        provider_message text,
        created_at timestamptz NOT NULL,
        last_attempt_at timestamptz,
        delivered_at timestamptz
      );
      CREATE INDEX alert_deliveries_alert ON alert_deliveries(alert_id, event_seq);
    `,
  },
  {
    version: 21,
    name: "attachments (issue #18): files an enterprise feeds back on its alarm with (later inspectors' photo evidence), with their SHA-256; append-only",
    sql: `
      CREATE TABLE attachments (
        id            text PRIMARY KEY,
        enterprise_id text NOT NULL REFERENCES enterprises(id),
        subject_type  text NOT NULL CHECK (subject_type IN ('alert', 'task', 'self_inspection')),
        subject_id    text NOT NULL,
        filename      text NOT NULL CHECK (length(filename) > 0 AND octet_length(filename) <= 255),
        media_type    text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'application/pdf')),
        size          integer NOT NULL CHECK (size > 0),
        sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        content       bytea NOT NULL CHECK (octet_length(content) = size),
        uploaded_by   text NOT NULL,
        uploaded_at   timestamptz NOT NULL
      );
      ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;
      CREATE INDEX attachments_subject ON attachments(subject_type, subject_id, uploaded_at);
      CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments FOR EACH ROW EXECUTE FUNCTION nss_forbid_change();
    `,
  },
  {
    version: 22,
    name: 'enterprise self-inspection reports (issue #18, domain rule 11): quarterly reports on major hazards, corrections as new reports, the hazards with their rectification',
    sql: `
      CREATE TABLE self_inspection_reports (
        id             text PRIMARY KEY,
        seq            bigserial NOT NULL,
        enterprise_id  text NOT NULL REFERENCES enterprises(id),
        period         text NOT NULL CHECK (period ~ '^[0-9]{4}-Q[1-4]$'),
        submitted_at   timestamptz NOT NULL,
        submitted_by   text NOT NULL,
        summary        text NOT NULL,
        hazard_count   integer NOT NULL CHECK (hazard_count >= 0),
        corrects       text REFERENCES self_inspection_reports(id)
      );
      CREATE INDEX self_inspection_reports_period ON self_inspection_reports(enterprise_id, period, submitted_at DESC, seq DESC);
      CREATE TABLE self_reported_hazards (
        id                  text PRIMARY KEY,
        report_id           text NOT NULL REFERENCES self_inspection_reports(id),
        enterprise_id       text NOT NULL REFERENCES enterprises(id),
        seq                 integer NOT NULL,
        description         text NOT NULL,
        checklist_item_id   text,
        major               boolean NOT NULL,
        hazard_source_code  text,
        measures            text NOT NULL,
        deadline            timestamptz NOT NULL,
        rectified_at        timestamptz,
        rectified_by        text,
        rectified_note      text,
        CHECK ((rectified_at IS NULL) = (rectified_by IS NULL)),
        UNIQUE (report_id, seq)
      );
      CREATE INDEX self_reported_hazards_item ON self_reported_hazards(enterprise_id, checklist_item_id) WHERE checklist_item_id IS NOT NULL;
    `,
  },
  {
    version: 23,
    name: 'rules partitions owned under a lease with a fencing token (issue #19 §3): an alert write of the rules checks its token is current',
    sql: `
      CREATE TABLE rule_partition_owners (
        partition    integer PRIMARY KEY CHECK (partition >= 0),
        token        bigint NOT NULL CHECK (token > 0),
        owner        text NOT NULL,
        acquired_at  timestamptz NOT NULL
      );
    `,
  },
];

/** Applies pending migrations; returns the versions applied. Safe to call concurrently from one process. */
export async function migrate(db: Db): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    await db.transaction(async (tx) => {
      // pg_advisory_xact_lock serialises concurrent migrators on a shared server.
      await tx.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS.migrations})`);
      const again = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (again.rows.length > 0) return;
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    });
  }
  return applied;
}

/** Splits a migration into statements at `;`, except inside `$$ … $$` bodies (functions, DO blocks). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let inBody = false;
  for (let i = 0; i < sql.length; i++) {
    if (sql.startsWith('$$', i)) {
      inBody = !inBody;
      current += '$$';
      i++;
      continue;
    }
    const ch = sql[i] as string;
    if (ch === ';' && !inBody) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
