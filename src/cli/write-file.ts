import { linkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExdefError } from '../failure.js';

/**
 * Writes under a temporary name and renames, so a reader never sees half a file. A file that
 * cannot be written is an environment problem: exit code 2 (the exit-code contract, README).
 */
export function writeFileAtomically(path: string, text: string, options: { exitCode?: 1 | 2 } = {}): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw cannotWrite(path, error, options.exitCode ?? 2);
  }
}

/**
 * Writes a file that must not exist yet: under a temporary name, then linked into place, which
 * fails if something is there (never overwritten, even by a file that appears meanwhile).
 */
export function writeNewFile(path: string, text: string, options: { exitCode?: 1 | 2; exists: string }): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { flag: 'wx' });
    linkSync(temporary, path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' && e.syscall === 'link') throw new ExdefError(`${path} ${options.exists}`, { exitCode: options.exitCode ?? 2 });
    throw cannotWrite(path, error, options.exitCode ?? 2);
  } finally {
    rmSync(temporary, { force: true });
  }
}

function cannotWrite(path: string, error: unknown, exitCode: 1 | 2): ExdefError {
  const e = error as NodeJS.ErrnoException;
  return new ExdefError(`cannot write ${path}: ${e.code === 'ENOENT' ? 'no such directory' : e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOSPC' ? 'the disk is full' : e.message}`, { exitCode });
}
