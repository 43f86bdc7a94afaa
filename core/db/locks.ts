/**
 * The PostgreSQL advisory locks the platform takes, in one place so two
 * parts can never pick the same number by accident. All are
 * transaction-scoped (`pg_advisory_xact_lock`): released at commit or
 * rollback, never held across requests.
 */
export const ADVISORY_LOCKS = {
  /** Serialises concurrent migrators on a shared server (core/db/migrations.ts). */
  migrations: 7431001,
  /** One writer at a time extends the alert event chain (alerts/store.ts). */
  alertEvents: 7431002,
  /** One writer at a time extends the audit chain (core/audit.ts). */
  audit: 7431003,
} as const;

/**
 * The text key of the per-enterprise lock under which inspection tasks are
 * opened (inspections/tasks/store.ts), taken as `pg_advisory_xact_lock(hashtext(key))`.
 */
export const taskOpeningLockKey = (enterpriseId: string): string => `task:${enterpriseId}`;
