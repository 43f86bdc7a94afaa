/**
 * The unified social credit code (统一社会信用代码) of GB 32100-2015《法人和其他组织统一社会信用代码编码规则》,
 * checked as the standard defines it — a pure function, no registry look-up (the code may be well formed
 * and still not issued; only the national credit system can say).
 *
 * - Structure (第4章 代码结构): 18 characters — 1 registration authority (登记管理部门代码), 1 institution
 *   category (机构类别代码), 6 digits of the registering authority's administrative division (登记管理机关
 *   行政区划码, GB/T 2260), 9 of the subject identifier (主体标识码, the organisation code of GB 11714), 1
 *   check character (校验码).
 * - Character set (代码字符集, 附录 A 表): the digits and the upper-case letters without I, O, Z, S, V —
 *   31 characters valued 0–30 in the order 0–9, A–H, J–N, P, Q, R, T, U, W, X, Y.
 * - Check character (第18位 校验码): C18 = 31 − MOD(Σ_{i=1..17} Ci × Wi, 31), with the weights
 *   Wi = MOD(3^(i−1), 31) (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28); a result of 31
 *   is written 0. The standard's worked example: 91350100M000100Y4 → 3 (so "91350100M000100Y4Z" is refused).
 *
 * Clause and annex numbers as printed in the standard's text (read from copies of it: the formula, the
 * weights table and the worked example above are reproduced in tests/unit/core/uscc.test.ts).
 */

/** The 31 characters of the code, each valued by its index (GB 32100-2015 代码字符集). */
export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** Wi = MOD(3^(i−1), 31) for i = 1..17. */
export const USCC_WEIGHTS: readonly number[] = Array.from({ length: 17 }, (_, i) => {
  let w = 1;
  for (let k = 0; k < i; k++) w = (w * 3) % 31;
  return w;
});

/** The check character of the first 17 characters (which must be in the character set). */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17) throw new RangeError('usccCheckChar takes the first 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARSET.indexOf(first17[i] as string);
    if (v < 0) throw new RangeError(`'${first17[i]}' is not a character of the code`);
    sum += v * (USCC_WEIGHTS[i] as number);
  }
  const c18 = 31 - (sum % 31);
  return USCC_CHARSET[c18 === 31 ? 0 : c18] as string;
}

export type UsccResult = { ok: true; code: string } | { ok: false; reason: 'length' | 'character' | 'division' | 'check'; expected?: string; message: string };

/**
 * Checks a code: surrounding blanks are ignored and lower-case letters taken as upper-case (a clerk's
 * typing; the standard writes them upper-case). The answer names what is wrong in Chinese and English —
 * for a wrong check character, the one expected.
 */
export function checkUscc(input: string): UsccResult {
  const code = input.trim().toUpperCase();
  if (code.length !== 18)
    return {
      ok: false,
      reason: 'length',
      message: `统一社会信用代码应为18位，实为${code.length}位（GB 32100-2015）/ the unified social credit code has 18 characters, not ${code.length}`,
    };
  // the 18th is judged against the check character it should be (the standard's example ends in a 'Z')
  for (let i = 0; i < 17; i++) {
    const ch = code[i] as string;
    if (!USCC_CHARSET.includes(ch))
      return {
        ok: false,
        reason: 'character',
        message: `统一社会信用代码第${i + 1}位“${ch}”不是代码字符（数字或除I、O、Z、S、V外的大写字母）/ character ${i + 1} '${ch}' is not allowed (digits and upper-case letters except I, O, Z, S, V)`,
      };
  }
  if (!/^\d{6}$/.test(code.slice(2, 8)))
    return {
      ok: false,
      reason: 'division',
      message: `统一社会信用代码第3—8位应为行政区划码（6位数字），实为“${code.slice(2, 8)}”/ characters 3–8 are the administrative division code (6 digits), not '${code.slice(2, 8)}'`,
    };
  const expected = usccCheckChar(code.slice(0, 17));
  if (code[17] !== expected)
    return {
      ok: false,
      reason: 'check',
      expected,
      message: `统一社会信用代码校验码错误：第18位应为“${expected}”，实为“${code[17]}”（GB 32100-2015）/ wrong check character: expected '${expected}', got '${code[17]}'`,
    };
  return { ok: true, code };
}
