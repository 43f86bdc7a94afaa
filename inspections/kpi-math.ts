/** Small arithmetic shared by the KPIs of the monitoring (`kpis.ts`) and of the enterprise tier (`response-kpis.ts`). */

/** A rate rounded to 4 decimals (0.9953 = 99.53 %); null when there is nothing to divide by. */
export const rate = (a: number, b: number): number | null => (b > 0 ? Math.round((Math.min(a, b) / b) * 10_000) / 10_000 : null);

/** The median of sorted values (the mean of the middle two for an even count, rounded). */
export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : Math.round((sorted[n / 2 - 1]! + sorted[n / 2]!) / 2);
}
