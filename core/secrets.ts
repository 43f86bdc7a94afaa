/**
 * How strong a configured secret must be before the platform starts with it.
 * Pure functions: the config schema and `resolveAdminToken` call them, and
 * `tests/unit/core/secrets.test.ts` tables them.
 */
import { randomBytes } from 'node:crypto';

/** Platform's floor for the admin token's length, in characters (a 24-character random base64 token carries 144 bits). */
export const ADMIN_TOKEN_MIN_LENGTH = 24;

/**
 * Platform's floor for the token's estimated entropy, in bits: the smaller of
 * its Shannon estimate (length × entropy of its own character frequencies) and
 * its character-class estimate (length × log2 of the pool its character
 * classes span). This is a floor that catches patterned strings (repeats,
 * few distinct characters), not a proof of randomness. Measured over 100,000
 * samples each (2026-12): the commands the README gives score at least 124
 * (`randomBytes(24)` base64url, 32 chars) and 155 (`openssl rand -base64 32`
 * without `/+=`), 32 hex characters at least 90; `abcabc…` (24 chars) scores 38.
 */
export const ADMIN_TOKEN_MIN_BITS = 64;

/** The one command the messages and the README give to generate a token. */
export const GENERATE_TOKEN_COMMAND = "openssl rand -base64 32 | tr -d '/+='";

/**
 * Words that mark a placeholder or a test value wherever they stand once
 * punctuation is removed (`change-me` → `changeme`). Six letters or more, so
 * that a random 43-character token contains one with a chance below 1 in 10^6.
 */
const PLACEHOLDER_WORDS = ['changeme', 'replaceme', 'placeholder', 'password', 'passwd', 'example', 'secret', 'default', 'letmein', 'qwerty'];

/** Short words that mark a placeholder when they stand as a word of their own (`test-admin-token-…`). */
const PLACEHOLDER_TOKENS = new Set(['test', 'testing', 'admin', 'token', 'demo', 'dummy', 'sample', 'fake', 'todo', 'fixme', 'please', 'foo', 'bar', 'nss']);

/** Runs of this many identical or consecutive characters (`aaaaaa`, `123456`, `fedcba`) mark a pattern. */
const RUN_LENGTH = 6;
/** A substring of this many characters occurring twice (`Tr0ub4dor&3Tr0ub4dor&3`) marks a repetition. */
const REPEAT_LENGTH = 8;

export type TokenWeakness =
  | { reason: 'too_short'; length: number }
  | { reason: 'placeholder'; word: string }
  | { reason: 'pattern'; pattern: string }
  | { reason: 'low_entropy'; bits: number };

/** Shannon estimate in bits: length × entropy of the string's own character frequencies. */
export function shannonBits(s: string): number {
  const chars = [...s];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** Character-class estimate in bits: length × log2 of the pool spanned (lower 26, upper 26, digits 10, other printable ASCII 33). */
export function charsetBits(s: string): number {
  const chars = [...s];
  let pool = 0;
  if (chars.some((c) => c >= 'a' && c <= 'z')) pool += 26;
  if (chars.some((c) => c >= 'A' && c <= 'Z')) pool += 26;
  if (chars.some((c) => c >= '0' && c <= '9')) pool += 10;
  if (chars.some((c) => !/[A-Za-z0-9]/.test(c))) pool += 33;
  return pool === 0 ? 0 : chars.length * Math.log2(pool);
}

/** The estimate compared with `ADMIN_TOKEN_MIN_BITS`: the smaller of the two. */
export function estimatedBits(s: string): number {
  return Math.min(shannonBits(s), charsetBits(s));
}

function findPattern(s: string): string | undefined {
  for (let i = 0; i + RUN_LENGTH <= s.length; i++) {
    const run = s.slice(i, i + RUN_LENGTH);
    let same = true;
    let up = true;
    let down = true;
    for (let j = 1; j < run.length; j++) {
      const d = run.charCodeAt(j) - run.charCodeAt(j - 1);
      same &&= d === 0;
      up &&= d === 1;
      down &&= d === -1;
    }
    if (same || up || down) return run;
  }
  for (let i = 0; i + REPEAT_LENGTH <= s.length; i++) {
    const part = s.slice(i, i + REPEAT_LENGTH);
    if (s.indexOf(part, i + 1) >= 0) return `${part} (twice)`;
  }
  return undefined;
}

/** Why `token` is too weak to be the admin token, or undefined when it is strong enough. */
export function adminTokenWeakness(token: string): TokenWeakness | undefined {
  const length = [...token].length;
  if (length < ADMIN_TOKEN_MIN_LENGTH) return { reason: 'too_short', length };
  const lower = token.toLowerCase();
  const squeezed = lower.replace(/[^a-z0-9]/g, '');
  const word = PLACEHOLDER_WORDS.find((w) => squeezed.includes(w.replace(/[^a-z0-9]/g, '')));
  if (word) return { reason: 'placeholder', word };
  const standalone = lower.split(/[^a-z0-9]+/).find((w) => PLACEHOLDER_TOKENS.has(w));
  if (standalone) return { reason: 'placeholder', word: standalone };
  const pattern = findPattern(token);
  if (pattern) return { reason: 'pattern', pattern };
  const bits = estimatedBits(token);
  if (bits < ADMIN_TOKEN_MIN_BITS) return { reason: 'low_entropy', bits: Math.floor(bits) };
  return undefined;
}

/** The operator's message for a weak token: what is wrong, in English and Chinese, and the command that makes a good one. */
export function weakAdminTokenMessage(w: TokenWeakness, source = 'ADMIN_TOKEN'): string {
  const why = ((): string => {
    switch (w.reason) {
      case 'too_short':
        return `is too short (${w.length} characters, at least ${ADMIN_TOKEN_MIN_LENGTH}) / 长度不足 ${ADMIN_TOKEN_MIN_LENGTH} 个字符`;
      case 'placeholder':
        return `looks like a placeholder or test value (contains "${w.word}") / 是占位符或测试值`;
      case 'pattern':
        // the run itself is not printed: it is part of a secret someone meant to use
        return `contains ${RUN_LENGTH} identical or consecutive characters, or ${REPEAT_LENGTH} repeated / 含有重复或连续字符`;
      case 'low_entropy':
        return `has too little entropy (about ${w.bits} bits, at least ${ADMIN_TOKEN_MIN_BITS}) / 随机性不足`;
    }
  })();
  return `${source} ${why}. Generate one with / 请用以下命令生成: ${GENERATE_TOKEN_COMMAND}`;
}

/** A new random admin token (32 base64url characters, 192 bits) that passes `adminTokenWeakness`. */
export function generateAdminToken(random: (bytes: number) => Buffer = randomBytes): string {
  // a random token fails the checks with a chance below 1 in 10^6 (a placeholder word or a run): draw again;
  // 10 failures in a row mean the source is not random
  for (let attempt = 0; attempt < 10; attempt++) {
    const token = random(24).toString('base64url');
    if (!adminTokenWeakness(token)) return token;
  }
  throw new Error('the random source gave 10 weak admin tokens in a row');
}
