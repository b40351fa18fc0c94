/**
 * A failure of a step that the user can act on (a refused connection, a missing key, a full
 * disk): reported as one clear message, never a stack trace. Exit code 2 for usage and
 * environment problems, 1 for a run that failed.
 */
export class ExdefError extends Error {
  readonly exitCode: 1 | 2;
  readonly step: string | undefined;
  readonly hints: string[];

  constructor(message: string, options: { exitCode?: 1 | 2; step?: string; hints?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExdefError';
    this.exitCode = options.exitCode ?? 1;
    this.step = options.step;
    this.hints = options.hints ?? [];
  }
}

export function isExdefError(error: unknown): error is ExdefError {
  return error instanceof ExdefError;
}
