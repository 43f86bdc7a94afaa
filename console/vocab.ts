/**
 * The platform's names for its codes (point kinds, roles, sectors, inspection origins), from
 * `GET /api/v1/vocabulary`, read once per page and shared: a screen shows 可燃气体 for `combustible_gas`, never the
 * code (issue #20 §1). Until the names arrive a code shows as itself, and the screens that use them re-render then.
 */
import { api } from './api.ts';
import { both, lang, sectorName, type Lang } from './i18n.ts';
import { signal, useValue } from './state.ts';
import type { Text } from './types.ts';

interface Term extends Text {
  id: string;
}

interface Names {
  sensorKinds: Term[];
  signalKinds: Term[];
  roles: { kind: string; roles: Term[] }[];
  origins: Term[];
  sectors: Term[];
}

const names = signal<Map<string, Text> | undefined>(undefined);
/** The point kinds, sensors' then signals', in the vocabulary's order (the kind selects offer them). */
let kinds: Term[] = [];
/** The sectors (行业), in the vocabulary's order (the sector selects offer them). */
let sectors: Term[] = [];
let asked = false;

/** The names, asked for once; the component re-renders when they arrive (and when the language changes). */
export function useNames(): void {
  if (!asked) {
    asked = true;
    api<Names>('GET', '/api/v1/vocabulary').then(
      (v) => {
        kinds = [...v.sensorKinds, ...v.signalKinds];
        sectors = v.sectors ?? [];
        names.set(
          new Map<string, Text>([
            ...[...v.sensorKinds, ...v.signalKinds].map((k) => [`kind:${k.id}`, k] as const),
            ...v.roles.flatMap((r) => r.roles.map((t) => [`role:${t.id}`, t] as const)),
            ...v.origins.map((o) => [`origin:${o.id}`, o] as const),
          ]),
        );
      },
      () => {
        asked = false; // asked again by the next screen
      },
    );
  }
  useValue(names);
  useValue(lang);
}

const named = (key: string, id: string): string => {
  const n = names.get()?.get(`${key}:${id}`);
  return n ? both(n) : id;
};

/** Every point kind as a select offers it: its id and its name in the current language. */
export const kindOptions = (): { value: string; label: string }[] => kinds.map((k) => ({ value: k.id, label: both(k) }));

/** Every sector as a select offers it: its id and its name in the current language. */
export const sectorOptions = (): { value: string; label: string }[] => sectors.map((k) => ({ value: k.id, label: sectorName(k.id) }));

/** A point kind's name (可燃气体, 阀门 …). */
export const kindName = (id: string): string => named('kind', id);
/** A role's name (a methane sensor's location, a roadway's type, a gas …). */
export const roleName = (id: string): string => named('role', id);
/** An inspection's origin (数据监测监控发现, 复查 …). */
export const originName = (id: string): string => named('origin', id);

const GRADES: Record<Lang, Record<string, string>> = {
  zh: { '1': '一级', '2': '二级', '3': '三级', ungraded: '未定级' },
  en: { '1': 'Grade 1', '2': 'Grade 2', '3': 'Grade 3', ungraded: 'Ungraded' },
};
/** An enterprise's safety standardization grade (安全生产标准化等级). */
export const standardizationGrade = (g: string): string => GRADES[lang.get()][g] ?? g;
