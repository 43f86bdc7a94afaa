/**
 * Hash chains over append-only tables (the audit trail `audit_log`,
 * core/audit.ts; the alert history `alert_events`, alerts/store.ts): each
 * record stores the hash of the previous one and its own hash, the SHA-256
 * of the canonical JSON of its content plus `prevHash`. Any edit, removal or
 * insertion breaks the chain. Hashes are computed exactly as before this
 * module existed (`contentHash({ prevHash, ...record })`), so stored chains
 * still verify.
 */
import { contentHash } from './canonical-json.ts';

/** The hash the first record of a chain refers to. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hash of a record: its content (every field but its own hash) plus the previous hash. */
export const chainHash = (prevHash: string, record: object): string => contentHash({ prevHash, ...record });

export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export type ChainVerification = { ok: true; records: number } | { ok: false; records: number; brokenAt: number; reason: string };

export interface VerifyChainOptions<R extends ChainLink> {
  /** Up to `limit` records with `seq > after`, in seq order. */
  read(after: number, limit: number): Promise<R[]>;
  /** The record's hash re-computed from its stored content (`chainHash(r.prevHash, …)`). */
  rehash(record: R): string;
  /** The reasons reported for a broken link and for a record that does not match its hash. */
  reasons: { link: string; content: string };
  /** Records read at once. Default 5,000. */
  batch?: number;
}

/** Re-computes the chain in batches (the table is never loaded whole); reports the first record whose link or content does not hold. */
export async function verifyChain<R extends ChainLink>(opts: VerifyChainOptions<R>): Promise<ChainVerification> {
  const batch = opts.batch ?? 5000;
  let prev = GENESIS_HASH;
  let after = 0;
  let records = 0;
  for (;;) {
    const rows = await opts.read(after, batch);
    for (const r of rows) {
      records++;
      if (r.prevHash !== prev) return { ok: false, records, brokenAt: r.seq, reason: opts.reasons.link };
      if (opts.rehash(r) !== r.hash) return { ok: false, records, brokenAt: r.seq, reason: opts.reasons.content };
      prev = r.hash;
      after = r.seq;
    }
    if (rows.length < batch) return { ok: true, records };
  }
}
