/**
 * Risk warnings (风险预警, alerts/warnings/) as the console shows them, apart from the point alarms (报警):
 * the level chip (红橙黄蓝 = 重大/较大/一般/低 风险, or 无预警), a factor in the current language, the jurisdiction's
 * warnings (GET /api/v1/risk-warnings) and one enterprise's (GET /api/v1/enterprises/:id/risk-warnings).
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { lang, paren, sectorName, stamp, t, type Key } from '../i18n.ts';
import type { Factor, WarningLevel, WarningResult } from '../../alerts/warnings/policy.ts';
import type { Text } from '../types.ts';

export type { Factor, WarningLevel, WarningResult };

/** Highest first. */
export const LEVELS: readonly WarningLevel[] = ['red', 'orange', 'yellow', 'blue'];
export const rank = (l: WarningResult): number => (l === 'none' ? -1 : 3 - LEVELS.indexOf(l));

export interface WarningRow {
  enterpriseId: string;
  enterpriseName: string;
  authorityId: string | null;
  level: WarningLevel;
  name: Text;
  since: string;
  factors: Factor[];
}

export interface SubjectWarning {
  hazardSourceCode: string;
  level: WarningResult;
  name: Text;
  since?: string;
  factors: Factor[];
}

export interface WarningEvent {
  id: number;
  hazardSourceCode: string;
  from: WarningResult;
  to: WarningResult;
  fromName: Text;
  toName: Text;
  at: string;
  factors: Factor[];
}

export interface EnterpriseRisk {
  enterprise: SubjectWarning;
  hazardSources: SubjectWarning[];
  events: WarningEvent[];
  policy: { version: number; sources: Record<string, string> };
}

/** The level's full name (红色预警（重大风险）…), or the short one (红色预警). */
export const warningName = (l: WarningResult, short = false): string => t(`${short ? 'warnShort' : 'warn'}_${l}` as Key);

/** A chip in the level's colour. */
export function WarningChip({ level, short, testid }: { level: WarningResult; short?: boolean; testid?: string }) {
  return (
    <span class={`chip warning-${level}${level === 'none' ? '' : ` grade-${level}`}`} data-level={level} data-testid={testid}>
      {warningName(level, short)}
    </span>
  );
}

/** The alarm kinds of factor: their `ref` is the alarm's id. */
export const ALARM_FACTORS: ReadonlySet<string> = new Set(['alarm', 'standing', 'repeats', 'pattern']);

/**
 * A factor in the current language. The Chinese text names a rule by its id in brackets (a code an officer
 * does not read; the alarm it refers to is linked instead) and a sector by its id: both are left out or named.
 */
export function factorText(f: Factor): string {
  if (lang.get() === 'en') return f.en;
  return f.zh.replace(/（[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+）/g, '').replace(/^([a-z]+(?:_[a-z]+)+) 行业/, (_m, id: string) => `${sectorName(id)}行业`);
}

/** The factors, each coloured by its level; an alarm factor links to its alarm. */
export function FactorList({ factors, testid }: { factors: readonly Factor[]; testid?: string }) {
  if (factors.length === 0) return <p class="muted">{t('noFactors')}</p>;
  return (
    <ul class="plain factors" data-testid={testid}>
      {factors.map((f, i) => (
        <li key={`${f.kind}-${f.ref ?? ''}-${i}`} class={`factor grade-${f.level}`} data-kind={f.kind} data-level={f.level}>
          <span class={`chip grade-${f.level}`}>{t(f.level)}</span> {factorText(f)}
          {f.ref && ALARM_FACTORS.has(f.kind) && (
            <>
              {' '}
              <a href={`#/alerts/${f.ref}`}>{t('viewAlarm')}</a>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * The jurisdiction's warnings by enterprise id (those without a warning are absent: 无预警); reloaded when `tick`
 * changes. undefined while loading, null when they cannot be read (then no level is shown, rather than 无预警).
 */
export function useWarnings(tick = 0): Map<string, WarningRow> | undefined | null {
  const [m, setM] = useState<Map<string, WarningRow> | undefined | null>();
  useEffect(() => {
    let gone = false;
    api<{ warnings: WarningRow[] }>('GET', '/api/v1/risk-warnings').then(
      (r) => !gone && setM(new Map(r.warnings.map((w) => [w.enterpriseId, w]))),
      // the alarms are still the alarms without the warnings beside them
      () => !gone && setM((old) => old ?? null),
    );
    return () => {
      gone = true;
    };
  }, [tick]);
  return m;
}

/** One enterprise's warnings; undefined while loading or when they cannot be read. */
export function useEnterpriseRisk(enterpriseId: string | undefined): EnterpriseRisk | undefined {
  const [r, setR] = useState<EnterpriseRisk | undefined>();
  useEffect(() => {
    if (!enterpriseId) return;
    let gone = false;
    api<EnterpriseRisk>('GET', `/api/v1/enterprises/${encodeURIComponent(enterpriseId)}/risk-warnings`).then(
      (x) => !gone && setR(x),
      () => !gone && setR(undefined),
    );
    return () => {
      gone = true;
    };
  }, [enterpriseId]);
  return r;
}

/** Whether the alarm is one of the warning's factors (the enterprise's or one of its hazard sources'). */
export const alarmIsFactor = (r: EnterpriseRisk, alertId: string): boolean =>
  [r.enterprise, ...r.hazardSources].some((w) => w.factors.some((f) => ALARM_FACTORS.has(f.kind) && f.ref === alertId));

/** What each of the policy's numbers is about (policy.sources' keys). */
const SOURCE_LABELS: Record<string, Text> = {
  'alarms.byGrade': { zh: '报警等级折算为预警因素', en: 'Alarm grade to factor level' },
  'alarms.standingMs': { zh: '报警持续时间', en: 'How long an alarm stands' },
  'alarms.repeats': { zh: '反复报警', en: 'Repeating alarms' },
  'alarms.patterns': { zh: '特征报警（联锁失效、数据冻结等）', en: 'Alarm patterns (interlock failure, frozen data …)' },
  'dataQuality.offline': { zh: '网关离线', en: 'Gateway offline' },
  'dataQuality.silent': { zh: '测点数据中断', en: 'Points silent' },
  ledgerFactors: { zh: '动态风险因素', en: 'Dynamic risk factors' },
  'inherent.hazardLevels': { zh: '固有风险（重大危险源级别）', en: 'Inherent risk (major hazard level)' },
  aggregate: { zh: '因素累积升级', en: 'Factors adding up' },
};

/**
 * A policy source (written "中文 / English", possibly in several parts) in the current language: in Chinese
 * the English parts and the bracketed file paths are left out, in English the English parts are kept (the
 * Chinese where no English is given).
 */
export function sourceText(text: string): string {
  if (lang.get() === 'en') {
    const en = [...text.matchAll(/ ?\/ ([^\u4e00-\u9fff]+?)(?=[：；，。（]|$)/g)].map((m) => m[1]!.trim());
    return en.length > 0 ? en.join('; ') : text;
  }
  return text
    .replace(/ ?\/ [^\u4e00-\u9fff（）：；，。]*?(?=[：；，。（]|$)/g, '')
    .replace(/（[^（）\u4e00-\u9fff]*[a-z][^（）\u4e00-\u9fff]*）/g, '')
    .trim();
}

const subjectName = (code: string, names: ReadonlyMap<string, string>): string =>
  code === '' ? t('wholeEnterprise') : `${names.get(code) ?? code}${paren(code)}`;

/** The 风险预警 section of an enterprise's file: its level and factors, its hazard sources', the changes, the policy. */
export function RiskSection({ enterpriseId, hazardSources }: { enterpriseId: string; hazardSources: readonly { code: string; name: string }[] }) {
  const r = useEnterpriseRisk(enterpriseId);
  const names = new Map(hazardSources.map((h) => [h.code, h.name]));
  return (
    <section class="risk" data-testid="risk-warnings">
      <h3>{t('riskWarning')}</h3>
      {!r ? (
        <p class="loading">…</p>
      ) : (
        <>
          <p data-testid="enterprise-warning">
            <WarningChip level={r.enterprise.level} testid="enterprise-warning-level" />
            {r.enterprise.since && (
              <span class="muted">
                {' '}
                {t('warningSince')} {stamp(r.enterprise.since)}
              </span>
            )}
          </p>
          {r.enterprise.level !== 'none' && <FactorList factors={r.enterprise.factors} testid="enterprise-factors" />}
          {r.hazardSources.length > 0 && (
            <>
              <h4>{t('hazardSourceWarnings')}</h4>
              <table class="ranking" data-testid="hazard-source-warnings">
                <thead>
                  <tr>
                    <th>{t('hazardSources')}</th>
                    <th>{t('warningLevel')}</th>
                    <th>{t('warningFactors')}</th>
                  </tr>
                </thead>
                <tbody>
                  {r.hazardSources.map((h) => (
                    <tr key={h.hazardSourceCode} data-testid={`hazard-warning-${h.hazardSourceCode}`}>
                      <td>{subjectName(h.hazardSourceCode, names)}</td>
                      <td>
                        <WarningChip level={h.level} />
                        {h.since && <div class="muted">{stamp(h.since)}</div>}
                      </td>
                      <td>{h.level === 'none' ? '—' : <FactorList factors={h.factors} />}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <h4>{t('warningChanges')}</h4>
          {r.events.length === 0 ? (
            <p class="muted">{t('noWarningChanges')}</p>
          ) : (
            <table class="ranking" data-testid="warning-events">
              <thead>
                <tr>
                  <th>{t('changedAt')}</th>
                  <th>{t('warningSubject')}</th>
                  <th>{t('levelChange')}</th>
                  <th>{t('causedBy')}</th>
                </tr>
              </thead>
              <tbody>
                {r.events.map((e) => (
                  <tr key={e.id} data-testid={`warning-event-${e.id}`}>
                    <td data-testid="event-at" class="nowrap">
                      {stamp(e.at)}
                    </td>
                    <td>{subjectName(e.hazardSourceCode, names)}</td>
                    <td>
                      <WarningChip level={e.from} short /> → <WarningChip level={e.to} short />
                    </td>
                    <td>{e.factors.length === 0 ? '—' : <FactorList factors={e.factors} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <details class="muted" data-testid="warning-policy">
            <summary>
              {t('policyVersion')} {r.policy.version} · {t('policySources')}
            </summary>
            <dl class="facts">
              {Object.entries(r.policy.sources).map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{SOURCE_LABELS[k] ? (lang.get() === 'en' ? SOURCE_LABELS[k].en : SOURCE_LABELS[k].zh) : k}</dt>
                  <dd>{sourceText(v)}</dd>
                </Fragment>
              ))}
            </dl>
          </details>
        </>
      )}
    </section>
  );
}

/** The chip beside an alarm's grade: 企业风险：橙色预警. */
export function EnterpriseRiskChip({ level }: { level: WarningResult }) {
  return (
    <span class={`chip enterprise-risk warning-${level}${level === 'none' ? '' : ` grade-${level}`}`} data-level={level} data-testid="enterprise-risk">
      {t('enterpriseRisk')}
      {lang.get() === 'en' ? ': ' : '：'}
      {warningName(level, true)}
    </span>
  );
}
