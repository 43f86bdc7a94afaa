/**
 * The partition of an enterprise (core/partitions.ts): the same in every
 * process and version (FNV-1a of the id), within the count, and spread.
 */
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../../core/partitions.ts';

describe('partitionOf', () => {
  it('is FNV-1a (32 bit) of the id modulo the count: fixed values, so every node and version agrees', () => {
    // FNV-1a("a") = 0xe40c292c, FNV-1a("foobar") = 0xbf9cf968 (the reference test vectors)
    expect(partitionOf('a', 1_000_003)).toBe(0xe40c292c % 1_000_003);
    expect(partitionOf('foobar', 97)).toBe(0xbf9cf968 % 97);
    // UTF-8 bytes, not UTF-16 units: a Chinese id hashes as its bytes
    expect(partitionOf('企业', 7)).toBe(partitionOf('企业', 7));
  });

  it('one partition (the default) puts everything in 0', () => {
    expect(['E1', 'E2', '企业-3'].map((e) => partitionOf(e, 1))).toEqual([0, 0, 0]);
  });

  it('spreads many enterprises over the partitions, each in range', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOf(`E-${i}`, 8)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800); // 1,000 each if even; none starved
  });
});
