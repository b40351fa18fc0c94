import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { isExdefError } from '../../failure.js';
import { writeFailedLog } from '../log-file.js';
import { runFailure } from '../run-failure.js';

/**
 * Steps whose failures are the user's usage errors, a run not yet due, or a run refused because
 * another run of the definition is going (the log is that run's): they write no log.
 */
const NOT_LOGGED = new Set(['schedule', 'practices', 'output', 'lock']);

export interface FailedRun {
  /** The output directory (the FAILED log goes in its logs/). */
  out: string;
  extractDate: string;
  started: Date;
  completed: Date;
  /** Files the run had generated when it failed. */
  files: number;
  /** The run's temporary directory, when it had one: removed. */
  work?: string;
  /** What the run was doing, for the message of an error that does not say. */
  step: string;
  /** The database (for a lost connection's message) and the statement timeout (for a cancelled statement's). */
  target?: string;
  statementTimeoutSeconds?: number;
  /** Told when the temporary directory could not be removed (the next run removes it). */
  warn?: (message: string) => void;
}

/**
 * The one failure path of a run, whatever failed — a stage, the database's opening, a signal: the
 * error as one line that says what and where (run-failure.ts), the temporary directory removed,
 * and a FAILED log (log-file.ts) unless nothing was due or the mistake was in the command line.
 * Returns the error to throw.
 */
export function failRun(raw: unknown, run: FailedRun): unknown {
  const error = runFailure(raw, run.step, run.target ?? 'the database', run.statementTimeoutSeconds ?? 0);
  if (run.work) removeWork(run.work, run.warn);
  if (isExdefError(error) && NOT_LOGGED.has(error.step ?? '')) return error;
  const reason = isExdefError(error) ? error.message : `internal error: ${(error as Error).message}`;
  writeFailedLog(resolve(run.out), run.extractDate, { started: run.started, completed: run.completed, files: run.files, reason });
  return error;
}

/**
 * Removes a run's temporary directory. A write the thread pool had already started may add a file
 * while it is being removed (ENOTEMPTY): retrying settles it, since no new write starts meanwhile.
 */
export function removeWork(work: string, warn?: (message: string) => void): void {
  try {
    rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  } catch (error) {
    warn?.(`the temporary directory ${work} could not be removed (${(error as NodeJS.ErrnoException).code ?? 'error'}); the next run removes it`);
  }
}
