/**
 * An enterprise's identity on record (issue #17 item 1): its unified social credit code (GB 32100-2015,
 * `core/uscc.ts`), address, coordinates and safety manager (安全管理负责人) with phone. All optional —
 * enterprises provisioned before these fields, or created before the bureau has them, stay valid — but
 * each one given is checked and normalised here, for create (`enterprises.ts`), the admin's update and
 * the bureau's list import (`inspections/csv.ts`).
 *
 * Coordinates are WGS-84 (CGCS2000 agrees with it to centimetres, far below what an enterprise's
 * location needs): what the national and provincial platforms store and GNSS receivers give. Chinese web
 * maps (高德, 腾讯) show GCJ-02, shifted by a few hundred metres; a point read off such a map must be
 * converted before it is entered, and a map drawing these points must convert them to GCJ-02. The range
 * checked is China's bounding box (longitude 73°E–136°E, latitude 3°N–54°N, the Nansha islands included),
 * not merely any valid latitude and longitude: every enterprise a county bureau supervises is in China,
 * and the box catches the usual slips — latitude and longitude swapped, a sign or a digit lost.
 */
import { z } from 'zod';
import { checkUscc } from '../core/uscc.ts';

/** China's bounding box (WGS-84 degrees), a little wider than the extreme points (73.5°E, 135.1°E, 3.8°N, 53.6°N). */
export const CHINA_BOUNDS = { minLongitude: 73, maxLongitude: 136, minLatitude: 3, maxLatitude: 54 } as const;

export type PhoneResult = { ok: true; phone: string } | { ok: false; message: string };

/**
 * A mainland phone number, normalised: a mobile number (1[3-9] and 9 more digits) as its 11 digits; a
 * landline as area code (0 + 2 or 3 digits: 010 and 02x are three long, the others four), a hyphen and
 * the 7- or 8-digit local number (not starting with 0 or 1), and an extension after 转. Blanks, hyphens,
 * dots and parentheses are ignored, and a +86 / 0086 country prefix is dropped (a landline's trunk 0
 * restored).
 */
export function normalisePhone(input: string): PhoneResult {
  const refused: PhoneResult = {
    ok: false,
    message: `“${input}”不是有效的电话号码（手机号11位，以13—19开头；固定电话含区号，如010-12345678）/ not a valid phone number (an 11-digit mobile number starting 13–19, or a landline with its area code, e.g. 010-12345678)`,
  };
  const [main = '', ext, ...more] = input.trim().split(/\s*(?:转|ext\.?|x)\s*/i);
  if (more.length > 0 || (ext !== undefined && !/^\d{1,6}$/.test(ext))) return refused;
  let digits = main.replace(/[\s\-().]/g, '');
  const international = /^(?:\+|00)86/.exec(digits);
  if (international) {
    digits = digits.slice(international[0].length);
    if (!digits.startsWith('1')) digits = `0${digits}`;
  } else if (/^861[3-9]\d{9}$/.test(digits)) digits = digits.slice(2);
  if (ext === undefined && /^1[3-9]\d{9}$/.test(digits)) return { ok: true, phone: digits };
  const landline = /^(010|02\d|0[3-9]\d{2})([2-9]\d{6,7})$/.exec(digits);
  if (!landline) return refused;
  return { ok: true, phone: `${landline[1]}-${landline[2]}${ext === undefined ? '' : `转${ext}`}` };
}

export const creditCodeSchema = z
  .string()
  .transform((s, ctx) => {
    const r = checkUscc(s);
    if (r.ok) return r.code;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  })
  .meta({
    description:
      '统一社会信用代码 Unified social credit code (GB 32100-2015): 18 characters, digits and upper-case letters except I, O, Z, S, V, the last a check character; lower case is taken as upper case',
    example: '91350100M000100Y43',
  });

export const phoneSchema = z
  .string()
  .transform((s, ctx) => {
    const r = normalisePhone(s);
    if (r.ok) return r.phone;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  })
  .meta({
    description: 'Mainland phone: mobile (11 digits, 1[3-9]…) or landline with area code (010-12345678, 0571-8888888转123); normalised',
    example: '13800138000',
  });

const coordinate = (what: 'longitude' | 'latitude', min: number, max: number, zh: string) =>
  z
    .number({ error: `${zh}应为数字 / ${what} must be a number` })
    .min(min, { error: `${zh}应在${min}—${max}之间（中国境内，WGS-84）/ ${what} must be within ${min}–${max} (China, WGS-84)` })
    .max(max, { error: `${zh}应在${min}—${max}之间（中国境内，WGS-84）/ ${what} must be within ${min}–${max} (China, WGS-84)` });

export const longitudeSchema = coordinate('longitude', CHINA_BOUNDS.minLongitude, CHINA_BOUNDS.maxLongitude, '经度').meta({
  description: 'Longitude 经度, WGS-84 degrees east, within China (73–136)',
});
export const latitudeSchema = coordinate('latitude', CHINA_BOUNDS.minLatitude, CHINA_BOUNDS.maxLatitude, '纬度').meta({
  description: 'Latitude 纬度, WGS-84 degrees north, within China (3–54)',
});

/** The identity fields; on create each may be omitted, on update `null` clears one. */
export const identityFields = {
  creditCode: creditCodeSchema.nullable().optional(),
  address: z.string().trim().min(1).max(300).nullable().optional().meta({ description: '地址 Address' }),
  longitude: longitudeSchema.nullable().optional(),
  latitude: latitudeSchema.nullable().optional(),
  safetyManagerName: z.string().trim().min(1).max(100).nullable().optional().meta({ description: '安全管理负责人 Safety manager' }),
  safetyManagerPhone: phoneSchema.nullable().optional(),
};

/** Longitude and latitude come together (one without the other is no location). */
export const bothOrNeither = (v: { longitude?: number | null; latitude?: number | null }): boolean =>
  (v.longitude === undefined) === (v.latitude === undefined) && (v.longitude === null) === (v.latitude === null);
export const BOTH_OR_NEITHER = { error: '经度和纬度须同时给出 / longitude and latitude go together', path: ['latitude'] };

export const identityPatch = z.strictObject(identityFields).refine(bothOrNeither, BOTH_OR_NEITHER);
export type IdentityPatch = z.output<typeof identityPatch>;

/** What the ledger answers (null: not on record yet). */
export interface EnterpriseIdentity {
  creditCode: string | null;
  address: string | null;
  longitude: number | null;
  latitude: number | null;
  safetyManagerName: string | null;
  safetyManagerPhone: string | null;
}

/** Column of each identity field. */
export const IDENTITY_COLUMNS = {
  creditCode: 'credit_code',
  address: 'address',
  longitude: 'longitude',
  latitude: 'latitude',
  safetyManagerName: 'safety_manager_name',
  safetyManagerPhone: 'safety_manager_phone',
} as const satisfies Record<keyof EnterpriseIdentity, string>;

export interface IdentityRow {
  credit_code: string | null;
  address: string | null;
  longitude: number | string | null;
  latitude: number | string | null;
  safety_manager_name: string | null;
  safety_manager_phone: string | null;
}

export const identityOf = (r: IdentityRow): EnterpriseIdentity => ({
  creditCode: r.credit_code,
  address: r.address,
  longitude: r.longitude === null ? null : Number(r.longitude),
  latitude: r.latitude === null ? null : Number(r.latitude),
  safetyManagerName: r.safety_manager_name,
  safetyManagerPhone: r.safety_manager_phone,
});
