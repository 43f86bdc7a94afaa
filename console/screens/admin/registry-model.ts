/**
 * What the point-registry screens read and share (issue #17 items 1 and 2): the point as the API lists it,
 * the vocabulary's indicator codes and relations, major hazard sources, the registry's time format, and a
 * server message in the console's language.
 */
import { lang, t, type Key } from '../../i18n.ts';
import type { LedgerPoint } from '../../../ledger/point-rows.ts';

/** A point as `GET /api/v1/enterprises/:id/sensors` lists it (zone and role null when not registered). */
export type RegistryPoint = Omit<LedgerPoint, 'sector' | 'zone' | 'role'> & { zone: string | null; role: string | null };

export type MarkName = 'lowLow' | 'low' | 'high' | 'highHigh';
export const MARKS: readonly MarkName[] = ['lowLow', 'low', 'high', 'highHigh'];
export const MARK_KEYS: Record<MarkName, Key> = { lowLow: 'markLowLow', low: 'markLow', high: 'markHigh', highHigh: 'markHighHigh' };

export interface IndicatorCode {
  code: string;
  kind: string;
  zh: string;
  en: string;
  marks: MarkName[];
}

export interface Relation {
  id: string;
  zh: string;
  en: string;
  expected: boolean;
  from: string[];
  to: string[];
}

export interface Vocabulary {
  indicatorCodes: IndicatorCode[];
  relations: Relation[];
  /** The point list's columns: code → Chinese header (an import problem names its column by code). */
  sheetColumns?: { code: string; zh: string }[];
}

export interface Person {
  name: string;
  phone: string;
}

export const PERSON_ROLES = ['main', 'technical', 'operational'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];
export const PERSON_KEYS: Record<PersonRole, Key> = { main: 'mainPerson', technical: 'technicalPerson', operational: 'operationalPerson' };

export interface HazardSource {
  code: string;
  name: string;
  level: 1 | 2 | 3 | 4;
  rValue: number;
  persons: Record<PersonRole, Person>;
}

/** The level GB 18218-2018 gives a major hazard source of this R value (as ledger/hazard-sources.ts grades it). */
export function levelForR(r: number): 1 | 2 | 3 | 4 {
  if (r >= 100) return 1;
  if (r >= 50) return 2;
  if (r >= 10) return 3;
  return 4;
}

/** A time as `2026-12-05 18:43:03`, China Standard Time: the console's one formatter (i18n.ts). */
export { stamp } from '../../i18n.ts';

/** The names of the fields a server message may start with (`marks.high: …`), in the console's words. */
const FIELD_KEYS: Record<string, Key> = {
  tagNo: 'tagNo',
  name: 'name',
  unit: 'unit',
  range: 'range',
  marks: 'limits',
  lowLow: 'markLowLow',
  low: 'markLow',
  high: 'markHigh',
  highHigh: 'markHighHigh',
  casNo: 'casNo',
  location: 'location',
  zone: 'zone',
  hazardSourceCode: 'hazardSources',
  links: 'links',
  indicatorCode: 'indicatorCode',
  reason: 'stopReason',
  code: 'hazardCode',
  level: 'hazardLevel',
  rValue: 'rValue',
  main: 'mainPerson',
  technical: 'technicalPerson',
  operational: 'operationalPerson',
  phone: 'phone',
};

/**
 * A refusal's message in the console's language: the server writes "中文 / English" (per problem, `; `
 * between problems, each after its field's path); the Chinese screen shows the Chinese side, with the
 * field named in words, the English screen the English side.
 */
export function localMessage(message: string): string {
  const en = lang.get() === 'en';
  return message
    .split('; ')
    .map((part) => {
      const m = /^([A-Za-z0-9_.]+): (.*)$/s.exec(part.replace(/^\(body\): /, ''));
      const [path, text] = m ? [m[1]!, m[2]!] : [undefined, part.replace(/^\(body\): /, '')];
      // "中文 / English" (or "…）/ English" after a closing bracket)
      const cut = / ?\/ /.exec(text);
      const said = cut ? (en ? text.slice(cut.index + cut[0].length) : text.slice(0, cut.index)) : text;
      if (!path) return said;
      const named = path
        .split('.')
        .filter((seg) => !/^\d+$/.test(seg) && seg !== 'persons')
        .map((seg) => (FIELD_KEYS[seg] ? t(FIELD_KEYS[seg]) : seg));
      return `${named.join(' · ')}：${said}`;
    })
    .join(en ? '; ' : '；');
}

/** The call's refusal, its message in the console's language (`localMessage`). */
export async function localised<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw new Error(localMessage((err as Error).message));
  }
}
