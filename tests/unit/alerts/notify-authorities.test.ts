/**
 * Who an escalation goes to (alerts/notify/authorities.ts): the chain from an
 * enterprise's authority up to the province, the target of each level and
 * the highest level; bad data (cycles, missing parents) stops the chain.
 */
import { describe, expect, it } from 'vitest';
import { chainFrom, escalationTarget, MAX_CHAIN, maxEscalationLevel, type Authority } from '../../../alerts/notify/authorities.ts';

const prov: Authority = { id: 'prov', name: '省应急管理厅', level: 'province', parentId: null };
const city: Authority = { id: 'city', name: '市应急管理局', level: 'city', parentId: 'prov' };
const county: Authority = { id: 'county', name: '县应急管理局', level: 'county', parentId: 'city' };
const other: Authority = { id: 'other-county', name: '另一县', level: 'county', parentId: 'city' };
const tree = [other, county, prov, city]; // any order

const ids = (chain: readonly Authority[]): string[] => chain.map((a) => a.id);

describe('chainFrom', () => {
  it.each([
    { name: 'county: itself, its city, its province', start: 'county', want: ['county', 'city', 'prov'] },
    { name: 'city', start: 'city', want: ['city', 'prov'] },
    { name: 'province: only itself', start: 'prov', want: ['prov'] },
    { name: 'no authority', start: null, want: [] },
    { name: 'undefined', start: undefined, want: [] },
    { name: 'unknown id', start: 'nowhere', want: [] },
  ])('$name', ({ start, want }) => {
    expect(ids(chainFrom(tree, start))).toEqual(want);
  });

  it('stops at a parent missing from the set', () => {
    expect(ids(chainFrom([county, city], 'county'))).toEqual(['county', 'city']);
  });

  it('stops at a cycle instead of looping', () => {
    const a: Authority = { id: 'a', name: 'A', level: 'county', parentId: 'b' };
    const b: Authority = { id: 'b', name: 'B', level: 'city', parentId: 'a' };
    expect(ids(chainFrom([a, b], 'a'))).toEqual(['a', 'b']);
    const self: Authority = { id: 's', name: 'S', level: 'county', parentId: 's' };
    expect(ids(chainFrom([self], 's'))).toEqual(['s']);
  });

  it(`follows at most ${MAX_CHAIN} links`, () => {
    const long = Array.from({ length: MAX_CHAIN + 5 }, (_, i): Authority => ({ id: `a${i}`, name: `A${i}`, level: 'county', parentId: `a${i + 1}` }));
    expect(chainFrom(long, 'a0')).toHaveLength(MAX_CHAIN);
  });
});

describe('escalationTarget and maxEscalationLevel', () => {
  const chain = chainFrom(tree, 'county');

  it('sends level 1 to the parent and level 2 to the grandparent; nothing beyond the root', () => {
    expect(escalationTarget(chain, 1)).toBe(city);
    expect(escalationTarget(chain, 2)).toBe(prov);
    expect(escalationTarget(chain, 3)).toBeUndefined();
    expect(maxEscalationLevel(chain)).toBe(2);
  });

  it.each([0, -1, 1.5, Number.NaN])('has no target for level %s (levels are integers ≥ 1; 0 is the enterprise’s own authority)', (level) => {
    expect(escalationTarget(chain, level)).toBeUndefined();
  });

  it.each([
    { name: 'a city enterprise escalates once', chain: chainFrom(tree, 'city'), want: 1 },
    { name: 'a province enterprise never', chain: chainFrom(tree, 'prov'), want: 0 },
    { name: 'an enterprise with no authority never', chain: [], want: 0 },
  ])('$name', ({ chain: c, want }) => {
    expect(maxEscalationLevel(c)).toBe(want);
  });
});
