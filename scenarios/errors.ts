/**
 * Exit codes of the CLI: 0 passed, 1 a threshold failed, 2 bad input or usage,
 * 130 interrupted (SIGINT, SIGTERM, SIGHUP or the parent process gone; 128 +
 * SIGINT's number, what shells report for a Ctrl-C).
 */
export const exitCodes = { passed: 0, thresholdFailed: 1, badInput: 2, interrupted: 130 } as const;

/**
 * An error a user can act on. `code` is stable (scripts may match on it); the
 * message names the subject, what was expected, what was seen and what to do.
 */
export class AftershockError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly details: readonly string[];

  constructor(code: string, message: string, options: { exitCode?: number; details?: readonly string[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AftershockError';
    this.code = code;
    this.exitCode = options.exitCode ?? exitCodes.badInput;
    this.details = options.details ?? [];
  }
}
