/** The admin token strength check (`core/secrets.ts`): what the platform refuses to start with. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN_MIN_BITS,
  adminTokenWeakness,
  estimatedBits,
  generateAdminToken,
  GENERATE_TOKEN_COMMAND,
  shannonBits,
  weakAdminTokenMessage,
} from '../../../core/secrets.ts';

describe('adminTokenWeakness', () => {
  const weak: { name: string; token: string; reason: string }[] = [
    { name: 'the old docker-compose default', token: 'change-me-admin-token-please', reason: 'placeholder' },
    { name: 'the old test token', token: 'test-admin-token-0123456789', reason: 'placeholder' },
    { name: 'a short token', token: 'Xk3v9QpL2mZr', reason: 'too_short' },
    { name: '"admin"', token: 'admin', reason: 'too_short' },
    { name: 'a padded "password"', token: 'Password1234567890!Password', reason: 'placeholder' },
    { name: 'CHANGEME in capitals', token: 'CHANGEME_CHANGEME_CHANGEME', reason: 'placeholder' },
    { name: 'a "test…" prefix on a random tail', token: 'test_Zk4qP9wLx2Rm7Vb1Nc8Tj3Hy', reason: 'placeholder' },
    { name: 'one repeated character', token: 'a'.repeat(32), reason: 'pattern' },
    { name: 'an ascending run', token: 'Zk4qP9wL-0123456789-x2Rm7Vb1', reason: 'pattern' },
    { name: 'a descending run', token: 'Zk4qP9wL-fedcba-x2Rm7Vb1Nc8Tj3', reason: 'pattern' },
    { name: 'a phrase typed twice', token: 'Tr0ub4dor&3Tr0ub4dor&3xyz', reason: 'pattern' },
    { name: 'four distinct characters (55 bits)', token: 'pmwmppwmpmwmzzmwwmzzzwmmppzz', reason: 'low_entropy' },
    { name: 'two distinct characters (27 bits)', token: 'kqqqkkkqkqkkkkqkqqkkqqqkqqqq', reason: 'low_entropy' },
  ];
  it.each(weak)('refuses $name ($reason)', ({ token, reason }) => {
    expect(adminTokenWeakness(token)?.reason).toBe(reason);
  });

  const strong: { name: string; token: string }[] = [
    { name: 'openssl rand -base64 32 without /+=', token: randomBytes(32).toString('base64').replace(/[/+=]/g, '') },
    { name: '32 hex characters (openssl rand -hex 16)', token: 'f3a91c07be5d24e8a6c1093d7b52e4f0' },
    { name: 'base64url of 24 random bytes', token: 'kQ7vZ2xN9pLw4RtY8mHc3JbF6sDg1AeU' },
  ];
  it.each(strong)('accepts $name', ({ token }) => {
    expect(adminTokenWeakness(token)).toBeUndefined();
  });

  it('accepts every token generateAdminToken makes (the one resolveAdminToken stores in var/admin-token)', () => {
    for (let i = 0; i < 2000; i++) expect(adminTokenWeakness(generateAdminToken())).toBeUndefined();
  });

  it('generateAdminToken draws again when the random source gives a weak token', () => {
    const draws = [Buffer.alloc(24, 0x61), randomBytes(24)];
    const token = generateAdminToken(() => draws.shift()!);
    expect(draws).toHaveLength(0);
    expect(adminTokenWeakness(token)).toBeUndefined();
  });

  it('generateAdminToken gives up on a random source that is not random', () => {
    expect(() => generateAdminToken((n) => Buffer.alloc(n, 0x61))).toThrow(/not random|weak admin tokens/);
  });
});

describe('entropy estimates', () => {
  it('Shannon bits: 0 for one repeated character, length × log2(n) for n equally frequent characters', () => {
    expect(shannonBits('aaaa')).toBe(0);
    expect(shannonBits('abcdabcd')).toBeCloseTo(16);
  });
  it('the estimate is the smaller of Shannon and character-class bits', () => {
    // 24 digits: Shannon ≤ 24 × log2(10) = character class; both low
    expect(estimatedBits('031415926535897932384626')).toBeLessThan(24 * Math.log2(10) + 1e-9);
    expect(ADMIN_TOKEN_MIN_BITS).toBe(64);
  });
});

describe('weakAdminTokenMessage', () => {
  it('names ADMIN_TOKEN, says why in English and Chinese, and gives the command that makes a good one', () => {
    const message = weakAdminTokenMessage(adminTokenWeakness('short')!);
    expect(message).toContain('ADMIN_TOKEN');
    expect(message).toContain('too short');
    expect(message).toContain('长度不足');
    expect(message).toContain(GENERATE_TOKEN_COMMAND);
  });
});
