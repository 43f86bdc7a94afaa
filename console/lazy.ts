/**
 * The console's scripts kept out of its first page (api/console-build.ts builds each apart and the API serves them
 * under /console/): loaded by URL when a screen first needs one, once; a failed load is tried again by the next
 * caller. The charts (uPlot) and the map (ECharts).
 */
import { useEffect, useState } from 'preact/hooks';
import type * as ChartsScript from './charts.ts';

/** A loader of the script at `url`: the same promise for every caller while it loads or once it has. */
export function lazyScript<T>(url: string): () => Promise<T> {
  let script: Promise<T> | undefined;
  return () => {
    script ??= (import(/* a script of the console's own, by URL */ url) as Promise<T>).catch((err: unknown) => {
      script = undefined;
      throw err;
    });
    return script;
  };
}

/** Where the charts' script is served. */
export const CHARTS_SCRIPT = '/console/charts.js';
const loadCharts = lazyScript<typeof ChartsScript>(CHARTS_SCRIPT);
let loaded: typeof ChartsScript.uPlot | undefined;

/** uPlot, once its script is here (undefined until then: a chart is drawn when it arrives). */
export function useUplot(): typeof ChartsScript.uPlot | undefined {
  const [u, setU] = useState<typeof ChartsScript.uPlot | undefined>(() => loaded);
  useEffect(() => {
    if (u) return;
    let gone = false;
    loadCharts().then(
      (m) => {
        loaded = m.uPlot;
        if (!gone) setU(() => m.uPlot);
      },
      () => undefined,
    );
    return () => void (gone = true);
  }, [u]);
  return u;
}
