/**
 * Hash chains (core/hash-chain.ts): the hash is the one stored chains were
 * written with, and the batched verification finds the first broken link
 * or edited record across batch boundaries.
 */
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../../core/canonical-json.ts';
import { chainHash, GENESIS_HASH, verifyChain, type ChainLink } from '../../../core/hash-chain.ts';

interface Rec extends ChainLink {
  body: { n: number };
}

function chain(n: number): Rec[] {
  const out: Rec[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const body = { n: i };
    const hash = chainHash(prev, { body });
    out.push({ seq: i * 10, prevHash: prev, hash, body });
    prev = hash;
  }
  return out;
}

const verify = (recs: Rec[], batch: number) =>
  verifyChain<Rec>({
    read: async (after, limit) => recs.filter((r) => r.seq > after).slice(0, limit),
    rehash: (r) => chainHash(r.prevHash, { body: r.body }),
    reasons: { link: 'link', content: 'content' },
    batch,
  });

describe('hash chain', () => {
  it('hashes the content with the previous hash, as the stored chains were written', () => {
    expect(chainHash('ab', { x: 1, y: 'z' })).toBe(contentHash({ prevHash: 'ab', x: 1, y: 'z' }));
  });

  it.each([1, 3, 7, 100])('verifies a sound chain of 7 records in batches of %i', async (batch) => {
    expect(await verify(chain(7), batch)).toEqual({ ok: true, records: 7 });
  });

  it('points at an edited record, past a batch boundary', async () => {
    const recs = chain(7);
    recs[4]!.body = { n: 99 };
    expect(await verify(recs, 3)).toEqual({ ok: false, records: 5, brokenAt: 50, reason: 'content' });
  });

  it('points at the record after a removed one', async () => {
    const recs = chain(7);
    recs.splice(3, 1);
    expect(await verify(recs, 2)).toEqual({ ok: false, records: 4, brokenAt: 50, reason: 'link' });
  });
});
