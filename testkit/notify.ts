/**
 * Helpers for the notifier tests (tests/integration/alerts/notify.test.ts): a real
 * HTTP webhook receiver, an authority tree in the ledger, and alerts fired,
 * acknowledged and resolved through `applyCommand` as the rules worker and
 * the API do.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyCommand, type Applied } from '../alerts/apply.ts';
import type { Announce } from '../alerts/bus.ts';
import type { Notification } from '../alerts/notify/index.ts';
import { buildNotification } from '../alerts/notify/notification.ts';
import { notificationJobId, transition } from '../alerts/state/index.ts';
import type { AlertStore } from '../alerts/store.ts';
import { fingerprintOf, type Finding, type Severity } from '../alerts/types.ts';
import type { Queryable } from '../core/db/db.ts';

export interface Delivery {
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  notification: Notification;
  /** The status the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every POST received, in arrival order, whatever was answered. */
  readonly deliveries: Delivery[];
  /** The deliveries answered 2xx. */
  accepted(): Delivery[];
  close(): Promise<void>;
}

/**
 * A node:http server on a free port that records every POST and answers
 * `respond(notification, attempt)` (attempt: 1 for the first POST of that
 * idempotency key); default 204.
 */
export async function startWebhookReceiver(respond: (n: Notification, attempt: number) => number = () => 204): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const notification = JSON.parse(body) as Notification;
      const key = req.headers['x-nss-idempotency-key'];
      const attempt = deliveries.filter((d) => d.headers['x-nss-idempotency-key'] === key).length + 1;
      const status = respond(notification, attempt);
      deliveries.push({ headers: req.headers, body, notification, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/nss?token=t0ken`,
    deliveries,
    accepted: () => deliveries.filter((d) => d.status >= 200 && d.status < 300),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Province → city → county, and enterprise `E1` (化工厂) under the county; `E0` has no authority. */
export async function seedAuthorities(db: Queryable): Promise<void> {
  await db.query(
    `INSERT INTO authorities (id, name, level, parent_id) VALUES
       ('prov', '示例省应急管理厅', 'province', NULL),
       ('city', '示例市应急管理局', 'city', 'prov'),
       ('county', '示例县应急管理局', 'county', 'city')`,
  );
  await db.query(
    `INSERT INTO enterprises (id, name, sector, authority_id) VALUES
       ('E1', '示例化工厂', 'hazardous_chemicals', 'county'),
       ('E0', '无主管企业', 'hazardous_chemicals', NULL)`,
  );
}

/** A gas finding on `subject` at `at` (data time). */
export const gasFinding = (subject: string, condition: 'raise' | 'clear', at: number, severity: Severity = 'red', enterpriseId = 'E1'): Finding => ({
  ruleId: 'gas.combustible',
  ruleVersion: 1,
  enterpriseId,
  subject,
  condition,
  severity,
  at,
  message: { zh: '可燃气体报警', en: 'Combustible gas alarm' },
  evidence: [],
});

/** Alert commands as the rules worker and the API apply them, announced like theirs. */
export class AlertDriver {
  constructor(
    private readonly store: AlertStore,
    private readonly announce?: Announce,
  ) {}

  /**
   * Raises `subject` at `at` (default now; no hold: a new alert fires at
   * once); `expect: 'raised'` for a higher grade on the active alert. Returns the alert id.
   */
  async fire(subject: string, opts: { at?: number; severity?: Severity; enterpriseId?: string; expect?: 'opened' | 'raised' } = {}): Promise<string> {
    const f = gasFinding(subject, 'raise', opts.at ?? Date.now(), opts.severity, opts.enterpriseId);
    const applied = await this.apply({ fingerprint: fingerprintOf(f) }, { type: 'finding', finding: f });
    const expected = opts.expect ?? 'opened';
    const ok = expected === 'opened' ? applied.outcome === 'opened' : applied.events.some((e) => e.type === 'severity_raised');
    if (!ok || applied.alert?.state !== 'firing') throw new Error(`expected a firing alert (${expected}), got ${applied.outcome}`);
    return applied.alert.id;
  }

  async clear(subject: string, at: number, enterpriseId = 'E1'): Promise<Applied> {
    const f = gasFinding(subject, 'clear', at, 'red', enterpriseId);
    return this.apply({ fingerprint: fingerprintOf(f) }, { type: 'finding', finding: f });
  }

  acknowledge(alertId: string, at = Date.now()): Promise<Applied> {
    return this.apply({ alertId }, { type: 'acknowledge', actor: 'user:duty-1', at, note: '已签收' });
  }

  dispose(alertId: string, at = Date.now()): Promise<Applied> {
    return this.apply({ alertId }, { type: 'dispose', actor: 'user:duty-1', at, text: '现场已处置' });
  }

  private async apply(target: Parameters<typeof applyCommand>[1], cmd: Parameters<typeof applyCommand>[2]): Promise<Applied> {
    const applied = await applyCommand(this.store, target, cmd, this.announce ? { announce: this.announce } : {});
    if (applied.error) throw new Error(`${cmd.type}: ${applied.error.code} ${applied.error.message}`);
    return applied;
  }
}

/** A 'fired' notification of a red alert `A1` on GT-101 of 示例化工厂 (event seq 7), as the dispatcher builds it. */
export function sampleNotification(channel = 'webhook:hooks.example.org#ab12cd34'): Notification {
  const at = Date.UTC(2026, 2, 1, 2, 0, 0);
  const { alert, events } = transition(undefined, { type: 'finding', finding: gasFinding('GT-101', 'raise', at) }, { forMs: 0, newId: () => 'A1' });
  const e = events[0]!;
  const event = { ...e, seq: 7, recordedAt: at };
  return buildNotification(notificationJobId(e, channel), event, alert!, { enterpriseId: 'E1', enterpriseName: '示例化工厂', chain: [] });
}
