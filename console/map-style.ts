/**
 * How the map (一张图, issue #20 §7) draws an enterprise: its risk warning's colour (the console's grade colours;
 * none: green, nothing to warn of) and its link state's shape (在线 ●, 部分在线 ◆, 离线 ▲, 未接入 ○ — the shape says
 * it where a colour cannot). Apart from the screen, so a test reads the same values without the screen's code.
 */
import type { WarningResult } from '../alerts/warnings/policy.ts';
import type { LinkStatus } from '../inspections/board.ts';

/** Where the map's script is served (api/console.ts); kept out of the application's bundle (api/console-build.ts). */
export const MAP_SCRIPT = '/console/map.js';

export const LEVEL_COLOR: Record<WarningResult, string> = { red: '#cf1322', orange: '#d46b08', yellow: '#d4a800', blue: '#0958d9', none: '#389e0d' };

/** An ECharts symbol per link state. */
export const STATUS_SYMBOL = { online: 'circle', partial: 'diamond', offline: 'triangle', no_gateway: 'emptyCircle' } as const satisfies Record<
  LinkStatus,
  string
>;
