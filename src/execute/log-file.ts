import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { makeDirectory } from './make-directory.js';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import { basename, dirname, join } from 'node:path';

/**
 * The log file of seed 000 ("Log File"): `logs/im1_bulk_log_{extractDate}.txt` beside the extract,
 * with exactly its six lines; a failed run adds one line saying why. Times are UTC.
 *
 * That name holds the latest COMPLETE run of the extract date — or, while none has completed that
 * day, the latest failed one. Every failed run's log is also kept beside it as
 * `im1_bulk_log_{extractDate}.failed-{HHMMSS}.txt` (UTC start time, `-2`, `-3` ... when two start in one
 * second), so a failure never destroys the record of a delivered extract (docs/production.md).
 *
 *   Status: COMPLETE
 *   Extract started: 2023-02-20 14:15:12
 *   Extract completed: 2023-02-20 14:16:46
 *   Execution time: 94 seconds
 *   Number of errors: 0
 *   Number of files generated: 5
 */
export interface LogEntry {
  status: 'COMPLETE' | 'FAILED';
  started: Date;
  completed: Date;
  errors: number;
  files: number;
  /** Why the run failed (one line). */
  reason?: string;
  /** Practices of the definition the run left out (no valid approval), and why. */
  excluded?: readonly { practice: string; reason: string }[];
}

export function logFileName(extractDate: string): string {
  return `im1_bulk_log_${extractDate}.txt`;
}

export function logText(entry: LogEntry): string {
  const lines = [
    `Status: ${entry.status}`,
    `Extract started: ${stamp(entry.started)}`,
    `Extract completed: ${stamp(entry.completed)}`,
    `Execution time: ${Math.max(0, Math.round((entry.completed.getTime() - entry.started.getTime()) / 1000))} seconds`,
    `Number of errors: ${entry.errors}`,
    `Number of files generated: ${entry.files}`,
  ];
  if (entry.reason) lines.push(`Reason: ${entry.reason.replace(/[\r\n]+/g, ' ')}`);
  for (const p of entry.excluded ?? []) lines.push(`Practice left out: ${p.practice} (${p.reason.replace(/[\r\n]+/g, ' ')})`);
  return `${lines.join('\n')}\n`;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
function stamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Writes the log under DIR/logs, by a temporary name and a rename. Returns its path. */
export function writeLogFile(directory: string, extractDate: string, entry: LogEntry): string {
  const logs = join(directory, 'logs');
  makeDirectory(logs, PRIVATE_DIRECTORY_MODE);
  return replaceFile(join(logs, logFileName(extractDate)), logText(entry));
}

/**
 * The log of a failed run: kept under its own name beside the day's log, and under the day's name
 * too unless that holds a COMPLETE run. Returns the kept file's path, or undefined when nothing
 * could be written (the failure is often the output directory itself; the message says why).
 */
export function writeFailedLog(directory: string, extractDate: string, entry: Omit<LogEntry, 'status' | 'errors'>): string | undefined {
  const text = logText({ ...entry, status: 'FAILED', errors: 1 });
  try {
    const logs = join(directory, 'logs');
    makeDirectory(logs, PRIVATE_DIRECTORY_MODE);
    const kept = keepNew(logs, `im1_bulk_log_${extractDate}.failed-${entry.started.toISOString().slice(11, 19).replace(/:/g, '')}`, '.txt', text);
    const daily = join(logs, logFileName(extractDate));
    if (!holdsCompleteRun(daily)) replaceFile(daily, text);
    return kept;
  } catch {
    return undefined;
  }
}

function holdsCompleteRun(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').startsWith('Status: COMPLETE\n');
  } catch {
    return false;
  }
}

/** Writes `text` to a new file NAME.txt (or NAME-2.txt, ...): a hard link never replaces a file. */
function keepNew(directory: string, name: string, extension: string, text: string): string {
  const temporary = join(directory, `.${name}.${process.pid}.tmp`);
  writeFileSync(temporary, text, { mode: PRIVATE_FILE_MODE });
  try {
    for (let n = 1; ; n++) {
      const candidate = join(directory, `${name}${n === 1 ? '' : `-${n}`}${extension}`);
      try {
        linkSync(temporary, candidate);
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw error;
      }
    }
  } finally {
    rmSync(temporary, { force: true });
  }
}

function replaceFile(path: string, text: string): string {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: PRIVATE_FILE_MODE });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return path;
}
