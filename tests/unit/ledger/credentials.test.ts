/** Gateway secrets: scrypt hashing and verification, and the cache of secrets that verified. */
import { describe, expect, it } from 'vitest';
import { VerifiedSecretCache, VerifyGate, generateSecret, hashSecret, verifySecret } from '../../../ledger/credentials.ts';

/** Small scrypt cost so the suite stays fast; verification reads the cost from the stored hash. */
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashSecret / verifySecret', () => {
  it('stores scrypt$N$r$p$salt$hash with the given cost', async () => {
    const stored = await hashSecret('s3cret', FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it('verifies the secret it hashed', async () => {
    const secret = generateSecret();
    const stored = await hashSecret(secret, FAST);
    expect(await verifySecret(secret, stored)).toBe(true);
  });

  const wrong: { name: string; secret: string; attempt: string }[] = [
    { name: 'different secret', secret: 'correct horse', attempt: 'battery staple' },
    { name: 'one character off', secret: 'abcdef', attempt: 'abcdeF' },
    { name: 'prefix of the secret', secret: 'abcdef', attempt: 'abcde' },
    { name: 'empty attempt', secret: 'abcdef', attempt: '' },
  ];
  it.each(wrong)('refuses a wrong secret: $name', async ({ secret, attempt }) => {
    const stored = await hashSecret(secret, FAST);
    expect(await verifySecret(attempt, stored)).toBe(false);
  });

  it('salts: two hashes of one secret differ, and both verify', async () => {
    const [a, b] = await Promise.all([hashSecret('same', FAST), hashSecret('same', FAST)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(await verifySecret('same', a)).toBe(true);
    expect(await verifySecret('same', b)).toBe(true);
  });

  it('generates distinct 32-byte base64url secrets', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });

  // Malformed stored hashes must fail closed (false, never true, never a throw), even for the right secret.
  const malformed: { name: string; stored: (valid: string) => string }[] = [
    { name: 'empty string', stored: () => '' },
    { name: 'not a hash', stored: () => 'garbage' },
    { name: 'other algorithm', stored: (v) => v.replace(/^scrypt/, 'bcrypt') },
    { name: 'missing a field', stored: (v) => v.split('$').slice(0, 5).join('$') },
    { name: 'an extra field', stored: (v) => `${v}$x` },
    { name: 'hash part empty', stored: (v) => v.replace(/\$[^$]*$/, '$') },
    { name: 'hash part truncated to 2 bytes', stored: (v) => v.replace(/[^$]*$/, (h) => Buffer.from(h, 'base64url').subarray(0, 2).toString('base64url')) },
    { name: 'N not a number', stored: (v) => v.replace(/^scrypt\$\d+/, 'scrypt$abc') },
    { name: 'N not a power of two', stored: (v) => v.replace(/^scrypt\$\d+/, 'scrypt$1000') },
    { name: 'r zero', stored: (v) => v.replace(/^(scrypt\$\d+)\$\d+/, '$1$0') },
  ];
  it.each(malformed)('refuses a malformed stored hash: $name', async ({ stored }) => {
    const valid = await hashSecret('s3cret', FAST);
    await expect(verifySecret('s3cret', stored(valid))).resolves.toBe(false);
  });

  // A zero-length expected key compares equal to a zero-length derived key: any secret would pass.
  it('does not accept an arbitrary secret against a stored hash with an empty hash part', async () => {
    const valid = await hashSecret('s3cret', FAST);
    await expect(verifySecret('anything at all', valid.replace(/[^$]*$/, ''))).resolves.toBe(false);
  });
});

describe('VerifiedSecretCache', () => {
  const STORED = 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA';

  it('knows a remembered secret for that gateway and stored hash only', () => {
    const cache = new VerifiedSecretCache();
    expect(cache.has('G1', 'sec', STORED)).toBe(false);
    cache.remember('G1', 'sec', STORED);
    expect(cache.has('G1', 'sec', STORED)).toBe(true);
    expect(cache.has('G1', 'other', STORED)).toBe(false);
    expect(cache.has('G2', 'sec', STORED)).toBe(false);
  });

  it('is invalidated when the stored hash changes (secret rotated)', () => {
    const cache = new VerifiedSecretCache();
    cache.remember('G1', 'sec', STORED);
    expect(cache.has('G1', 'sec', `${STORED}x`)).toBe(false);
  });

  it('forgets a gateway', () => {
    const cache = new VerifiedSecretCache();
    cache.remember('G1', 'sec', STORED);
    cache.remember('G2', 'sec', STORED);
    cache.forget('G1');
    expect(cache.has('G1', 'sec', STORED)).toBe(false);
    expect(cache.has('G2', 'sec', STORED)).toBe(true);
  });

  it('keeps one entry per gateway: remembering a new secret drops the old one', () => {
    const cache = new VerifiedSecretCache();
    cache.remember('G1', 'old', STORED);
    cache.remember('G1', 'new', STORED);
    expect(cache.has('G1', 'old', STORED)).toBe(false);
    expect(cache.has('G1', 'new', STORED)).toBe(true);
  });

  it('does not confuse secret and stored hash boundaries', () => {
    const cache = new VerifiedSecretCache();
    cache.remember('G1', 'b', 'a');
    expect(cache.has('G1', '', 'ab')).toBe(false);
    expect(cache.has('G1', 'ab', '')).toBe(false);
  });

  it('stays bounded at max entries', () => {
    const cache = new VerifiedSecretCache(2);
    cache.remember('G1', 's', STORED);
    cache.remember('G2', 's', STORED);
    cache.remember('G3', 's', STORED);
    expect(cache.has('G3', 's', STORED)).toBe(true);
    expect([cache.has('G1', 's', STORED), cache.has('G2', 's', STORED)]).toEqual([false, false]);
  });
});

describe('VerifyGate', () => {
  /** A check that runs until released, recording how many run at once. */
  const controlled = () => {
    let now = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const check = () =>
      new Promise<boolean>((resolve) => {
        now++;
        peak = Math.max(peak, now);
        releases.push(() => {
          now--;
          resolve(true);
        });
      });
    return { check, releases, peak: () => peak };
  };
  const ticks = () => new Promise((r) => setImmediate(r));

  it('runs at most `concurrency` checks at once and all of them in the end', async () => {
    const gate = new VerifyGate(2);
    const c = controlled();
    const results = Array.from({ length: 5 }, () => gate.run(c.check));
    await ticks();
    expect(c.releases).toHaveLength(2);
    expect(gate.size).toEqual({ running: 2, waiting: 3 });
    for (let i = 0; i < 5; i++) {
      c.releases[i]!();
      await ticks();
    }
    expect(await Promise.all(results)).toEqual([true, true, true, true, true]);
    expect(c.peak()).toBe(2);
    expect(gate.size).toEqual({ running: 0, waiting: 0 });
  });

  it('skips a queued check whose client is gone by its turn, and frees the slot', async () => {
    const gate = new VerifyGate(1);
    const c = controlled();
    let wanted = true;
    const first = gate.run(c.check);
    const abandoned = gate.run(c.check, () => wanted);
    const third = gate.run(c.check);
    await ticks();
    wanted = false; // its client closed while it waited
    c.releases[0]!();
    await ticks();
    expect(await abandoned).toBeUndefined();
    expect(c.releases).toHaveLength(2); // the third ran, the abandoned one never did
    c.releases[1]!();
    expect(await first).toBe(true);
    expect(await third).toBe(true);
    expect(gate.size).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot when a check throws', async () => {
    const gate = new VerifyGate(1);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(() => Promise.resolve(7))).toBe(7);
    expect(gate.size).toEqual({ running: 0, waiting: 0 });
  });
});
