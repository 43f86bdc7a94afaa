/**
 * The untranslated-text check of the console (issue #20 §1): what a user sees
 * on a screen, read from the page, and what of it is in the wrong language.
 *
 * In Chinese, no Latin word may show but units (%LEL, mg/m³, MPa …), standard
 * numbers (GB/T 50493-2019), a few names that are the same in Chinese (MQTT,
 * CAS, CSV …) and the data's own ids and names; no date as 12/5/26 or
 * 6:42 pm, no duration in milliseconds. In English, no Chinese character or
 * full-width punctuation but in the data (enterprise, authority and person
 * names, addresses, texts users wrote), and the same for dates and durations.
 */
import type { Page } from 'playwright-core';
import type { Queryable } from '../core/db/db.ts';

/** What reads the same in both languages: units, protocol and file-format names, the abbreviations of standards. */
const WORDS_IN_BOTH = new Set(
  [
    // units (GB 3100-1993) and the gas detectors' (GB/T 50493-2019)
    'LEL',
    'CH',
    'vol',
    'ppm',
    'mg',
    'kg',
    'MPa',
    'kPa',
    'Pa',
    'kW',
    'Hz',
    'mm',
    'km',
    'ms',
    // names used as they are in Chinese
    'MQTT',
    'TLS',
    'CSV',
    'XLSX',
    'Excel',
    'JSON',
    'GBK',
    'UTF',
    'CAS',
    'SMS',
    'API',
    'QoS',
    'IP',
    'ID',
    // coordinate systems: WGS-84 (GPS, 北斗), GCJ-02
    'WGS',
    'GPS',
    'GCJ',
    'R',
  ].map((w) => w.toLowerCase()),
);

/** A standard's number: GB 18218-2018, GB/T 50493-2019, AQ 3035-2010, AQ/T 9006, EEMUA 191, ISA-18.2 … */
const STANDARD = /\b(?:GB|GBZ|AQ|HG|SH|SY|JJG|JJF|GA|WS|MT|KA|EEMUA|ISA|IEC)(?:\/[TZ])?[\s-]*\d+(?:[.\-–]\d+)*/g;
/**
 * A citation in the English console: a Chinese standard or regulation is cited by its number and its Chinese title
 * (the legal text), e.g. "GB/T 50493-2019《石油化工可燃气体和有毒气体检测报警设计标准》§5.5 报警值设定" — from the
 * number to the end of the citation; a title in 《》; a document number (应急〔2021〕23号).
 */
const CITATION = new RegExp(`${STANDARD.source}[^;；]*|《[^》]*》|[\\u4e00-\\u9fff]+〔\\d{4}〕\\d+号`, 'g');
/** Dates and times as they must not show: 12/5/26, 6:42 pm, ISO with a T. */
const BAD_DATE = /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b|\b\d{1,2}:\d{2}(?::\d{2})?\s?[ap]\.?m\b|\d{4}-\d{2}-\d{2}T\d{2}/i;
/** A duration in milliseconds shown as such ("45238 ms", "300004 ms"). */
const MILLIS = /\b\d{4,}\s?ms\b/;
/** A UUID (an id the platform made): shown as it is. */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** Chinese characters and full-width punctuation. */
const CJK = /[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;

export interface LanguageFinding {
  /** The screen (the route, or a name the test gives). */
  screen: string;
  /** The text as shown. */
  text: string;
  /** What is wrong in it. */
  what: string;
}

/** Every known string removed from `text`, the longest first (an id containing another is removed whole). */
function without(text: string, known: readonly string[]): string {
  let out = text;
  for (const k of known) if (k && out.includes(k)) out = out.split(k).join(' ');
  return out;
}

/**
 * What in `texts` (as read by `screenTexts`) is not in `lang`. `known`: the data's ids, names and free texts, which
 * show as they are in both languages.
 */
export function untranslated(screen: string, texts: readonly string[], lang: 'zh' | 'en', known: readonly string[]): LanguageFinding[] {
  const sorted = [...new Set(known)].sort((a, b) => b.length - a.length);
  const out: LanguageFinding[] = [];
  for (const text of new Set(texts)) {
    const rest = without(text, sorted).replace(UUID, ' ');
    if (BAD_DATE.test(rest)) out.push({ screen, text, what: 'date' });
    if (MILLIS.test(rest)) out.push({ screen, text, what: 'milliseconds' });
    if (lang === 'zh') {
      const words = (rest.replace(STANDARD, ' ').match(/[A-Za-z][A-Za-z_]*/g) ?? []).filter((w) => w.length > 1 && !WORDS_IN_BOTH.has(w.toLowerCase()));
      if (words.length > 0) out.push({ screen, text, what: `latin: ${[...new Set(words)].join(' ')}` });
    } else {
      const uncited = rest.replace(CITATION, ' ');
      if (CJK.test(uncited)) out.push({ screen, text, what: `chinese: ${[...new Set(uncited.match(new RegExp(CJK.source, 'g')))].join('')}` });
    }
  }
  return out;
}

/**
 * The texts a user sees on the page now: visible text, the placeholders, titles, labels and alternative texts, the
 * options of selects (seen once opened) and the page's title.
 */
export function screenTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent?.trim();
      if (!el || !text || el.closest('script, style, option')) continue;
      // a text marked as another language (the switch to the other language: "English" / "中文") is that language's
      const marked = el.closest('[lang]');
      if (marked && marked !== document.documentElement && marked.getAttribute('lang') !== document.documentElement.lang) continue;
      if (!el.checkVisibility({ visibilityProperty: true })) continue;
      out.push(text);
    }
    for (const el of Array.from(document.querySelectorAll('[placeholder], [title], [aria-label], img[alt], input[type=button], input[type=submit]')))
      for (const a of ['placeholder', 'title', 'aria-label', 'alt', 'value']) {
        const v = el.getAttribute(a);
        if (v && (a !== 'value' || el.matches('input[type=button], input[type=submit]'))) out.push(v);
      }
    for (const o of Array.from(document.querySelectorAll('option'))) if (o.textContent?.trim()) out.push(o.textContent.trim());
    return out;
  });
}

/**
 * The screen's texts once it has settled: its data loaded (no "…" of a screen loading) and nothing changing between
 * two reads 300 ms apart (names arriving, a chart drawn). Throws if it does not settle within `timeoutMs`.
 */
export async function settledScreenTexts(page: Page, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const texts = await screenTexts(page);
    const now = texts.join('\n');
    if (now === last && (await page.locator('.loading').count()) === 0) return texts;
    if (Date.now() > deadline) throw new Error(`the screen ${page.url()} did not settle within ${timeoutMs} ms`);
    last = now;
    await page.waitForTimeout(300); // the poll's interval
  }
}

/** The data's ids and names (enterprises, authorities, officers, points, alarms, tasks, hazard sources): shown as they are in either language. */
export async function knownDataStrings(db: Queryable): Promise<string[]> {
  const q = async (sql: string) => (await db.query<Record<string, unknown>>(sql)).rows.flatMap((r) => Object.values(r));
  const values = [
    ...(await q('SELECT id, name, address, credit_code, safety_manager_name, safety_manager_phone FROM enterprises')),
    ...(await q('SELECT id, name FROM authorities')),
    ...(await q('SELECT id, name, phone FROM officers')),
    ...(await q('SELECT id FROM gateways')),
    ...(await q('SELECT id, name, tag_no, location, gateway_id, zone, indicator_code FROM sensors')),
    ...(await q('SELECT id, subject, rule_id FROM alerts')),
    ...(await q('SELECT id FROM tasks')),
    ...(await q('SELECT code, name, main_name, main_phone, technical_name, technical_phone, operational_name, operational_phone FROM major_hazard_sources')),
  ];
  return values.filter((v): v is string => typeof v === 'string');
}
