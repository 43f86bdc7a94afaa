/**
 * Who to call about an enterprise's alarm, and what it has had before (issue #20 §2): the alert detail shows the
 * enterprise's address, its safety manager on record (安全管理负责人), its console users with their phones
 * (安全管理负责人 and 包保责任人 accounts, issue #18), the persons responsible for its major hazard sources (主要负责人,
 * 技术负责人, 操作负责人), and its latest alarms.
 */
import type { Queryable } from '../core/db/db.ts';

export type ContactRole = 'safety_manager' | 'responsible_person' | 'hazard_main' | 'hazard_technical' | 'hazard_operational';

export interface Contact {
  role: ContactRole;
  name: string;
  phone: string | null;
  /** The major hazard source a hazard role answers for (its name). */
  of?: string;
}

export interface EnterpriseContacts {
  id: string;
  name: string;
  address: string | null;
  longitude: number | null;
  latitude: number | null;
  contacts: Contact[];
  /** Its latest alarms but the one shown, newest first. */
  recentAlerts: { id: string; ruleId: string; severity: string; state: string; startedAt: number; message: { zh: string; en: string } }[];
  /** Its alarms in the 30 days before the one shown (this one included). */
  alertsLast30Days: number;
}

const DAY = 86_400_000;

export async function enterpriseContacts(db: Queryable, enterpriseId: string, alert: { id: string; startedAt: number }): Promise<EnterpriseContacts | null> {
  const { rows } = await db.query<{
    id: string;
    name: string;
    address: string | null;
    longitude: number | null;
    latitude: number | null;
    safety_manager_name: string | null;
    safety_manager_phone: string | null;
  }>('SELECT id, name, address, longitude, latitude, safety_manager_name, safety_manager_phone FROM enterprises WHERE id = $1', [enterpriseId]);
  const e = rows[0];
  if (!e) return null;
  const [users, hazards, recent, count] = await Promise.all([
    db.query<{ name: string; phone: string | null; role: 'safety_manager' | 'responsible_person' }>(
      `SELECT name, phone, role FROM officers WHERE enterprise_id = $1 AND NOT disabled ORDER BY role DESC, name`,
      [enterpriseId],
    ),
    db.query<Record<'name' | 'main_name' | 'main_phone' | 'technical_name' | 'technical_phone' | 'operational_name' | 'operational_phone', string>>(
      `SELECT name, main_name, main_phone, technical_name, technical_phone, operational_name, operational_phone
         FROM major_hazard_sources WHERE enterprise_id = $1 ORDER BY code`,
      [enterpriseId],
    ),
    db.query<{ id: string; rule_id: string; severity: string; state: string; started_at: Date; message: { zh: string; en: string } }>(
      `SELECT id, rule_id, severity, state, started_at, data->'message' AS message FROM alerts
        WHERE enterprise_id = $1 AND id <> $2 AND fired_at IS NOT NULL ORDER BY started_at DESC LIMIT 10`,
      [enterpriseId, alert.id],
    ),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM alerts WHERE enterprise_id = $1 AND fired_at IS NOT NULL AND started_at > $2 AND started_at <= $3`, [
      enterpriseId,
      new Date(alert.startedAt - 30 * DAY),
      new Date(alert.startedAt),
    ]),
  ]);
  const contacts: Contact[] = [];
  if (e.safety_manager_name) contacts.push({ role: 'safety_manager', name: e.safety_manager_name, phone: e.safety_manager_phone });
  for (const u of users.rows) {
    // the safety manager on record and the account of the same person once
    if (!contacts.some((c) => c.name === u.name && c.role === u.role)) contacts.push({ role: u.role, name: u.name, phone: u.phone });
  }
  for (const h of hazards.rows) {
    contacts.push({ role: 'hazard_main', name: h.main_name, phone: h.main_phone, of: h.name });
    contacts.push({ role: 'hazard_technical', name: h.technical_name, phone: h.technical_phone, of: h.name });
    contacts.push({ role: 'hazard_operational', name: h.operational_name, phone: h.operational_phone, of: h.name });
  }
  return {
    id: e.id,
    name: e.name,
    address: e.address,
    longitude: e.longitude,
    latitude: e.latitude,
    contacts,
    recentAlerts: recent.rows.map((r) => ({
      id: r.id,
      ruleId: r.rule_id,
      severity: r.severity,
      state: r.state,
      startedAt: new Date(r.started_at).getTime(),
      message: r.message,
    })),
    alertsLast30Days: Number(count.rows[0]!.n),
  };
}
