/**
 * The charts' script (`/console/charts.js`, api/console-build.ts): uPlot, built apart from the application and
 * loaded when a screen first draws a chart (console/lazy.ts) — the alarm list, the first screen of a duty officer,
 * does not wait for it.
 */
import uPlot from 'uplot';

export { uPlot };
