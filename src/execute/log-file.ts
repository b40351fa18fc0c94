import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import { join } from 'node:path';

/**
 * The log file of seed 000 ("Log File"): `logs/im1_bulk_log_{extractDate}.txt` beside the extract,
 * with exactly its six lines; a failed run adds one line saying why. Times are UTC.
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
  return `${lines.join('\n')}\n`;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
function stamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Writes the log under DIR/logs, by a temporary name and a rename. Returns its path. */
export function writeLogFile(directory: string, extractDate: string, entry: LogEntry): string {
  const logs = join(directory, 'logs');
  mkdirSync(logs, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  const path = join(logs, logFileName(extractDate));
  const temporary = join(logs, `.${logFileName(extractDate)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, logText(entry), { mode: PRIVATE_FILE_MODE });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return path;
}
