/**
 * One catalogue of error codes for every part. The API maps `httpStatus`;
 * workers use `retryable` to decide between backoff and giving up.
 */
export const ERRORS = {
  BAD_REQUEST: { httpStatus: 400, retryable: false, message: 'The request is malformed' },
  UNAUTHENTICATED: { httpStatus: 401, retryable: false, message: 'Authentication required' },
  FORBIDDEN: { httpStatus: 403, retryable: false, message: 'Not allowed' },
  NOT_FOUND: { httpStatus: 404, retryable: false, message: 'Not found' },
  CONFLICT: { httpStatus: 409, retryable: false, message: 'Already exists' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, retryable: false, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, retryable: false, message: 'The request body has a content type this route does not take' },
  TOO_MANY_REQUESTS: { httpStatus: 429, retryable: true, message: 'Too many attempts; try again later' },
  CONFIG_INVALID: { httpStatus: 500, retryable: false, message: 'Configuration is invalid' },
  INFLUX_UNAVAILABLE: { httpStatus: 503, retryable: true, message: 'InfluxDB is unavailable' },
  INFLUX_REJECTED: { httpStatus: 500, retryable: false, message: 'InfluxDB rejected the request' },
  SERVICE_START_FAILED: { httpStatus: 500, retryable: false, message: 'A local service could not be started' },
  SHUTTING_DOWN: { httpStatus: 503, retryable: true, message: 'The service is shutting down' },
  INTEGRITY_FAILED: { httpStatus: 500, retryable: false, message: 'Stored content failed its integrity check (SHA-256)' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly details: unknown;
  /** Extra fields the API adds to the error body (e.g. a refusal's reason in Chinese and its counts). */
  readonly expose: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, opts: { details?: unknown; cause?: unknown; expose?: Record<string, unknown> } = {}) {
    super(message ?? ERRORS[code].message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = ERRORS[code].httpStatus;
    this.retryable = ERRORS[code].retryable;
    this.details = opts.details;
    this.expose = opts.expose;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof AppError ? err.retryable : true;
}
