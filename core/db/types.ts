/** The small SQL surface every part uses; PGlite and a PostgreSQL server both implement it. */
export interface Queryable {
  query<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}
export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several statements (no parameters); used by migrations. */
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
