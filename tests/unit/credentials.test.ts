/** Gateway secrets: scrypt hashing and verification, and the cache of secrets that verified. */
import { describe, expect, it } from 'vitest';
import { VerifiedSecretCache, generateSecret, hashSecret, verifySecret } from '../../gateway/credentials.ts';

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
