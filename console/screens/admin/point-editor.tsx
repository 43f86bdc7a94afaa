/**
 * Admin · point registry: one point's registry fields (tag number, name, unit, range, the alarm marks its
 * kind allows, CAS number, zone, location, major hazard source, links), saved with
 * `PATCH /api/v1/enterprises/:id/sensors/:sensorId`; the platform's warnings on the saved point
 * (unmonitored, default limits, a rule that cannot apply, a link followed by zone, stopped) are shown in
 * the console's language, a refusal with its reason.
 */
import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { both, lang, paren, t, type Key } from '../../i18n.ts';
import { MARKS, MARK_KEYS, localMessage, type HazardSource, type MarkName, type RegistryPoint, type Vocabulary } from './registry-model.ts';
import { useAction } from './shared.tsx';

interface Link {
  relation: string;
  target: string;
}

interface Warning {
  code: string;
  zh: string;
  en: string;
}

/** A rule in force on the saved point, as the answer lists it. */
interface EffectiveRule {
  id: string;
  name: { zh: string; en: string };
}

/** A warning in the console's language, naming the point by its tag and the rules by their names rather than their ids. */
const warningText = (w: Warning, rules: EffectiveRule[], point: RegistryPoint): string => {
  const said = both(w).split(`测点 ${point.id}`).join(`测点 ${point.tagNo}`).split(`point ${point.id}`).join(`point ${point.tagNo}`);
  const named = rules.reduce((text, r) => text.split(r.id).join(`「${both(r.name)}」`), said);
  // Chinese sets no space around the corner brackets
  return lang.get() === 'en' ? named : named.replace(/ ?「/g, '「').replace(/」 ?/g, '」');
};

const TEXT_FIELDS = ['tagNo', 'name', 'unit', 'rangeMin', 'rangeMax', 'casNo', 'zone', 'location'] as const;
type TextField = (typeof TEXT_FIELDS)[number];
type Form = Record<TextField | MarkName | 'hazardSourceCode', string>;

const formOf = (p: RegistryPoint): Form => ({
  tagNo: p.tagNo,
  name: p.name,
  unit: p.unit,
  rangeMin: p.range ? String(p.range.min) : '',
  rangeMax: p.range ? String(p.range.max) : '',
  casNo: p.casNo ?? '',
  zone: p.zone ?? '',
  location: p.location ?? '',
  hazardSourceCode: p.hazardSourceCode ?? '',
  lowLow: p.marks?.lowLow === undefined ? '' : String(p.marks.lowLow),
  low: p.marks?.low === undefined ? '' : String(p.marks.low),
  high: p.marks?.high === undefined ? '' : String(p.marks.high),
  highHigh: p.marks?.highHigh === undefined ? '' : String(p.marks.highHigh),
});

const linksOf = (p: RegistryPoint): Link[] => Object.entries(p.links ?? {}).flatMap(([relation, targets]) => targets.map((target) => ({ relation, target })));

const LABELS: Record<TextField, Key> = {
  tagNo: 'tagNo',
  name: 'name',
  unit: 'unit',
  rangeMin: 'rangeMin',
  rangeMax: 'rangeMax',
  casNo: 'casNo',
  zone: 'zone',
  location: 'location',
};

/** A number typed in a field: undefined when empty; a clear error naming the field when not a number. */
function numberIn(label: string, text: string): number | undefined {
  const v = text.trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${label}${t('needNumber')}`);
  return n;
}

/** The form as the PATCH body: every field sent; an empty optional field as null (cleared); links replaced. */
function patchOf(form: Form, allowed: readonly MarkName[], links: Link[]): Record<string, unknown> {
  const marks: Partial<Record<MarkName, number>> = {};
  for (const m of MARKS.filter((x) => allowed.includes(x))) {
    const v = numberIn(t(MARK_KEYS[m]), form[m]);
    if (v !== undefined) marks[m] = v;
  }
  // lowLow ≤ low ≤ high ≤ highHigh, as the server checks it (said here in the console's words)
  const given = Object.values(marks);
  if (given.some((v, i) => i > 0 && given[i - 1]! > v)) throw new Error(t('marksOrder'));
  const min = numberIn(t('rangeMin'), form.rangeMin);
  const max = numberIn(t('rangeMax'), form.rangeMax);
  if ((min === undefined) !== (max === undefined)) throw new Error(t('rangeBoth'));
  if (min !== undefined && max !== undefined && !(min < max)) throw new Error(t('rangeOrder'));
  const orNull = (v: string) => (v.trim() === '' ? null : v.trim());
  return {
    tagNo: form.tagNo.trim(),
    name: form.name.trim(),
    unit: form.unit.trim(),
    zone: orNull(form.zone),
    location: orNull(form.location),
    casNo: orNull(form.casNo),
    hazardSourceCode: orNull(form.hazardSourceCode),
    marks: Object.keys(marks).length > 0 ? marks : null,
    range: min === undefined || max === undefined ? null : { min, max },
    links: links.filter((l) => l.target !== ''),
  };
}

export function PointEditor({
  base,
  point,
  points,
  sources,
  vocab,
  onSaved,
  onClose,
}: {
  base: string;
  point: RegistryPoint;
  points: RegistryPoint[];
  sources: HazardSource[];
  vocab: Vocabulary;
  onSaved: () => Promise<void>;
  onClose: () => void;
}) {
  const [form, setForm] = useState<Form>(() => formOf(point));
  const [links, setLinks] = useState<Link[]>(() => linksOf(point));
  const [warnings, setWarnings] = useState<{ list: Warning[]; rules: EffectiveRule[] }>({ list: [], rules: [] });
  const { run, busy, view } = useAction();
  const code = vocab.indicatorCodes.find((c) => c.kind === point.kind);
  const allowed = code?.marks ?? [];
  const relations = vocab.relations.filter((r) => r.from.includes(point.kind));
  const targetsOf = (relation: string) => {
    const r = vocab.relations.find((x) => x.id === relation);
    return points.filter((p) => p.id !== point.id && (r?.to.includes(p.kind) ?? false));
  };
  const set = (k: keyof Form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const setLink = (i: number, l: Link) => setLinks(links.map((x, j) => (j === i ? l : x)));

  const save = () =>
    run(async () => {
      setWarnings({ list: [], rules: [] });
      const body = patchOf(form, allowed, links);
      try {
        const saved = await api<RegistryPoint & { warnings?: Warning[]; effectiveRules?: EffectiveRule[] }>(
          'PATCH',
          `${base}/sensors/${encodeURIComponent(point.id)}`,
          body,
        );
        setWarnings({ list: saved.warnings ?? [], rules: saved.effectiveRules ?? [] });
      } catch (err) {
        throw new Error(localMessage((err as Error).message));
      }
      await onSaved();
    });

  return (
    <section class="point-editor" data-testid="point-editor">
      <h3>
        {t('edit')}：{point.tagNo} {point.name} <span class="muted">{code ? `${code.code} ${both(code)}` : ''}</span>
      </h3>
      <form
        class="grid-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {TEXT_FIELDS.map((k) => (
          <label key={k}>
            {t(LABELS[k])}
            <input name={k} value={form[k]} onInput={set(k)} required={k === 'tagNo'} />
          </label>
        ))}
        {allowed.length === 0 ? (
          <p class="muted">{t('signalNoMarks')}</p>
        ) : (
          MARKS.filter((m) => allowed.includes(m)).map((m) => (
            <label key={m}>
              {t(MARK_KEYS[m])}
              {point.unit && <span class="muted">{paren(point.unit)}</span>}
              <input name={m} inputMode="decimal" value={form[m]} onInput={set(m)} />
            </label>
          ))
        )}
        <label>
          {t('hazardSources')}
          <select name="hazardSourceCode" value={form.hazardSourceCode} onChange={set('hazardSourceCode')}>
            <option value="">{t('notInHazardSource')}</option>
            {sources.map((s) => (
              <option key={s.code} value={s.code}>
                {s.name}
                {paren(s.code)}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="links" data-testid="link-editor">
          <legend>{t('links')}</legend>
          {relations.length === 0 && <p class="muted">{t('noLinkRelation')}</p>}
          {links.map((l, i) => (
            <div key={i} class="link-row">
              <select
                aria-label={t('relation')}
                value={l.relation}
                onChange={(e) => setLink(i, { relation: (e.target as HTMLSelectElement).value, target: '' })}
                data-testid={`link-relation-${i}`}
              >
                {relations.map((r) => (
                  <option key={r.id} value={r.id}>
                    {both(r)}
                  </option>
                ))}
              </select>
              <select
                aria-label={t('linkTarget')}
                value={l.target}
                onChange={(e) => setLink(i, { ...l, target: (e.target as HTMLSelectElement).value })}
                data-testid={`link-target-${i}`}
              >
                <option value="">—</option>
                {targetsOf(l.relation).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.tagNo} {p.name}
                  </option>
                ))}
              </select>
              <button type="button" onClick={() => setLinks(links.filter((_, j) => j !== i))}>
                {t('remove')}
              </button>
            </div>
          ))}
          {relations.length > 0 && (
            <button type="button" onClick={() => setLinks([...links, { relation: relations[0]!.id, target: '' }])} data-testid="add-link">
              {t('addLink')}
            </button>
          )}
        </fieldset>
        <button type="submit" class="primary" disabled={busy} data-testid="save-point">
          {t('save')}
        </button>
        <button type="button" onClick={onClose}>
          {t('cancel')}
        </button>
      </form>
      {view}
      {warnings.list.length > 0 && (
        <div data-testid="point-warnings">
          <h4>{t('serverWarnings')}</h4>
          <ul class="plain">
            {warnings.list.map((w, i) => (
              <li key={i} class={w.code === 'unmonitored' ? 'error' : 'muted'}>
                {warningText(w, warnings.rules, point)}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
