/**
 * The time range of a history chart (issue #20 §6): the last hour, 6 hours, day, week or 30 days, or a chosen
 * period (China Standard Time). The readings API reads at most 400 days (api/history.ts).
 */
import { fill, stamp, t, type Key } from '../i18n.ts';
import { platformNow } from '../clock.ts';

export type Range = { preset: string } | { from: number; to: number };

const HOUR = 3_600_000;
export const PRESETS: [string, number, Key][] = [
  ['1h', HOUR, 'range1h'],
  ['6h', 6 * HOUR, 'range6h'],
  ['24h', 24 * HOUR, 'range24h'],
  ['7d', 7 * 24 * HOUR, 'range7d'],
  ['30d', 30 * 24 * HOUR, 'range30d'],
];

/** The range as epoch ms, the presets ending now. */
export function rangeOf(r: Range): { from: number; to: number } {
  if ('from' in r) return r;
  const to = platformNow();
  return { from: to - (PRESETS.find(([id]) => id === r.preset)?.[1] ?? 24 * HOUR), to };
}

/** `YYYY-MM-DDTHH:mm` (a datetime-local input's value) in China Standard Time, and back. */
const toLocal = (ms: number): string => new Date(ms + 8 * HOUR).toISOString().slice(0, 16);
const fromLocal = (v: string): number => Date.parse(`${v}:00+08:00`);

export function RangePicker({ value, onChange, testid }: { value: Range; onChange: (r: Range) => void; testid: string }) {
  const { from, to } = rangeOf(value);
  return (
    <div class="range-picker" role="group" aria-label={t('timeRange')} data-testid={testid}>
      {PRESETS.map(([id, , key]) => (
        <button
          key={id}
          type="button"
          class={'preset' in value && value.preset === id ? 'current' : ''}
          aria-pressed={'preset' in value && value.preset === id}
          onClick={() => onChange({ preset: id })}
          data-range={id}
        >
          {t(key)}
        </button>
      ))}
      <label>
        {t('periodFrom')}
        <input
          type="datetime-local"
          value={toLocal(from)}
          onChange={(e) => {
            const v = fromLocal((e.target as HTMLInputElement).value);
            if (Number.isFinite(v) && v < to) onChange({ from: v, to });
          }}
          data-range="from"
        />
      </label>
      <label>
        {t('periodTo')}
        <input
          type="datetime-local"
          value={toLocal(to)}
          onChange={(e) => {
            const v = fromLocal((e.target as HTMLInputElement).value);
            if (Number.isFinite(v) && v > from) onChange({ from, to: v });
          }}
          data-range="to"
        />
      </label>
    </div>
  );
}

/** The current value under a chart: the latest reading and its time. */
export function CurrentValue({ point, unit }: { point: { t: number; value: number } | undefined; unit: string }) {
  if (!point) return null;
  return (
    <p class="current-value" data-testid="current-value">
      {fill('currentValue', { v: `${point.value} ${unit}`, at: stamp(point.t) })}
    </p>
  );
}
