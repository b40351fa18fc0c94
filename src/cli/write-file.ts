import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExdefError } from '../failure.js';

/**
 * Writes under a temporary name and renames, so a reader never sees half a file. A failure is
 * exit code 1 unless the command says otherwise (2 where 1 means findings, e.g. a failed test).
 */
export function writeFileAtomically(path: string, text: string, options: { exitCode?: 1 | 2 } = {}): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const e = error as NodeJS.ErrnoException;
    throw new ExdefError(`cannot write ${path}: ${e.code === 'ENOENT' ? 'no such directory' : e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOSPC' ? 'the disk is full' : e.message}`, { exitCode: options.exitCode ?? 1 });
  }
}
