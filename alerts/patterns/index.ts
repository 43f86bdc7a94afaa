/**
 * The pattern registry: every pattern by name, with its evaluation-time
 * params schema (limits are plain numbers here; the catalogue's form, with
 * references to marks and ranges, is in alerts/rules/schema.ts).
 */
import type { z } from 'zod';
import { correlatedDetectors, correlatedParamsSchema } from './correlated-detectors.ts';
import { dataSilence, dataSilenceParamsSchema } from './data-silence.ts';
import { difference, differenceParamsSchema } from './difference.ts';
import { dropToZero, dropToZeroParamsSchema } from './drop-to-zero.ts';
import { frozen, frozenParamsSchema } from './frozen.ts';
import { gatewayOffline, gatewayOfflineParamsSchema } from './gateway-offline.ts';
import { gatewayPointsSilent, gatewayPointsSilentParamsSchema } from './gateway-points-silent.ts';
import { interlockFailure, interlockParamsSchema } from './interlock-failure.ts';
import { outOfRange, outOfRangeParamsSchema } from './out-of-range.ts';
import type { Pattern, PatternName } from './pattern.ts';
import { rateOfRise, rateOfRiseParamsSchema } from './rate-of-rise.ts';
import { safetyOffInProduction, safetyOffParamsSchema } from './safety-off-in-production.ts';
import { sustained, sustainedParamsSchema } from './sustained.ts';
import { threshold, thresholdParamsSchema } from './threshold.ts';

export const PATTERNS = {
  threshold: { pattern: threshold, params: thresholdParamsSchema },
  rate_of_rise: { pattern: rateOfRise, params: rateOfRiseParamsSchema },
  sustained: { pattern: sustained, params: sustainedParamsSchema },
  difference: { pattern: difference, params: differenceParamsSchema },
  correlated_detectors: { pattern: correlatedDetectors, params: correlatedParamsSchema },
  interlock_failure: { pattern: interlockFailure, params: interlockParamsSchema },
  data_silence: { pattern: dataSilence, params: dataSilenceParamsSchema },
  gateway_offline: { pattern: gatewayOffline, params: gatewayOfflineParamsSchema },
  gateway_points_silent: { pattern: gatewayPointsSilent, params: gatewayPointsSilentParamsSchema },
  frozen: { pattern: frozen, params: frozenParamsSchema },
  out_of_range: { pattern: outOfRange, params: outOfRangeParamsSchema },
  drop_to_zero: { pattern: dropToZero, params: dropToZeroParamsSchema },
  safety_off_in_production: { pattern: safetyOffInProduction, params: safetyOffParamsSchema },
} as const satisfies { [N in PatternName]: { pattern: Pattern<never, unknown>; params: z.ZodType } };

/** Evaluation-time params of each pattern. */
export type ParamsOf<N extends PatternName> = z.output<(typeof PATTERNS)[N]['params']>;
/** State of each pattern. */
export type StateOf<N extends PatternName> = ReturnType<(typeof PATTERNS)[N]['pattern']['init']>;

export * from './pattern.ts';
