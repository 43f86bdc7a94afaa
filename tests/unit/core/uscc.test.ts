import { describe, expect, it } from 'vitest';
import { checkUscc, USCC_CHARSET, usccCheckChar, USCC_WEIGHTS } from '../../../core/uscc.ts';

describe('unified social credit code (GB 32100-2015)', () => {
  it('has the standard’s character set (no I, O, Z, S, V) and weights MOD(3^(i−1), 31)', () => {
    expect(USCC_CHARSET).toHaveLength(31);
    expect(USCC_CHARSET).not.toMatch(/[IOZSV]/);
    expect(USCC_WEIGHTS).toEqual([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]);
  });

  it('computes the standard’s worked example: 91350100M000100Y4 → 3 (Σ = 1640, MOD 31 = 28, 31 − 28 = 3)', () => {
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
  });

  it('writes a result of 31 as 0', () => {
    // a prefix whose weighted sum is a multiple of 31, found by trying each character at position 17 (weight 28, prime to 31)
    const base = '9135010000000000';
    const code = [...USCC_CHARSET].map((c) => base + c).find((p) => usccCheckChar(p) === '0');
    expect(code).toBeDefined();
    expect(checkUscc(`${code}0`)).toEqual({ ok: true, code: `${code}0` });
  });

  it.each([
    ['91350100M000100Y43', 'the standard’s worked example, corrected'],
    ['11320000MB151840XJ', 'an institution registered by 机构编制 (1), category 1'],
    ['91110000600037341L', 'an enterprise registered by 工商 (9) in Beijing'],
    ['91440300708461136T', 'an enterprise registered in Shenzhen'],
    ['914403001922038216', 'a check character that is a digit'],
  ])('accepts %s (%s)', (code) => {
    expect(checkUscc(code)).toEqual({ ok: true, code });
  });

  it('takes lower case and blanks around as a clerk’s typing', () => {
    expect(checkUscc('  91350100m000100y43 ')).toEqual({ ok: true, code: '91350100M000100Y43' });
  });

  it('refuses the standard’s counter-example 91350100M000100Y4Z naming the expected check character 3', () => {
    const r = checkUscc('91350100M000100Y4Z');
    expect(r).toMatchObject({ ok: false, reason: 'check', expected: '3' });
    expect(!r.ok && r.message).toContain('应为“3”');
    expect(!r.ok && r.message).toContain("expected '3'");
  });

  it('refuses every wrong check character of a valid code, naming the right one', () => {
    const first17 = '91110000600037341';
    for (const wrong of USCC_CHARSET.replace('L', '')) {
      const r = checkUscc(first17 + wrong);
      expect(r, wrong).toMatchObject({ ok: false, reason: 'check', expected: 'L' });
    }
  });

  it('refuses a single changed character or two swapped ones (what the check character is for)', () => {
    expect(checkUscc('91110000600037342L')).toMatchObject({ ok: false, reason: 'check' });
    expect(checkUscc('91110000600073341L')).toMatchObject({ ok: false, reason: 'check' });
  });

  it.each([
    ['9111000060003734L', 17],
    ['91110000600037341LL', 19],
    ['', 0],
  ])('refuses %j: wrong length (%i)', (code, n) => {
    const r = checkUscc(code);
    expect(r).toMatchObject({ ok: false, reason: 'length' });
    expect(!r.ok && r.message).toContain(`实为${n}位`);
  });

  it.each([
    ['91110000600O37341L', 12, 'O'],
    ['I1110000600037341L', 1, 'I'],
    ['91110000S00037341L', 9, 'S'],
    ['9111000060003734VL', 17, 'V'],
    ['91110000600037341-', 18, '-'],
    ['91110000６00037341L', 9, '６'],
  ])('refuses %s: character %i %s is not a code character', (code, pos, ch) => {
    const r = checkUscc(code);
    if (pos === 18) expect(r).toMatchObject({ ok: false, reason: 'check', expected: 'L' });
    else {
      expect(r).toMatchObject({ ok: false, reason: 'character' });
      expect(!r.ok && r.message).toContain(`第${pos}位“${ch}”`);
    }
  });

  it('refuses letters in the administrative division code (characters 3–8)', () => {
    expect(checkUscc('91A10000600037341L')).toMatchObject({ ok: false, reason: 'division' });
  });
});
