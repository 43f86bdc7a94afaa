/** Helpers for the configuration's tests: the smallest valid input, and the error a refused one gives. */
import { parseConfig } from '../core/config.ts';
import { AppError } from '../core/errors.ts';

/** The least a configuration needs (everything else has its default). */
export const MINIMAL_CONFIG = { redisUrl: 'redis://127.0.0.1:6379', influx: { url: 'http://127.0.0.1:8086' } };

/** The AppError `parseConfig` refuses `input` with; throws if it accepts it. */
export function configError(input: unknown): AppError {
  try {
    parseConfig(input);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('parseConfig accepted the input');
}
