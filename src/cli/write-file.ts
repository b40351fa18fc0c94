import { linkSync, lstatSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ExdefError } from '../failure.js';

/**
 * Writes under a temporary name and renames, so a reader never sees half a file. A file that
 * cannot be written is an environment problem: exit code 2 (the exit-code contract, README).
 * What is already at the path decides how: a symbolic link is written through (its target is
 * replaced, the link stays), a device, FIFO or socket (`-o /dev/stdout`, a pipe) is written to as
 * a stream (a rename would replace it with a file), a directory is refused.
 */
export function writeFileAtomically(path: string, text: string, options: { exitCode?: 1 | 2 } = {}): void {
  const exitCode = options.exitCode ?? 2;
  const existing = statOf(path);
  if (existing?.isDirectory()) throw new ExdefError(`cannot write ${path}: it is a directory`, { exitCode });
  if (existing && !existing.isFile() && !existing.isSymbolicLink()) {
    try {
      writeFileSync(path, text);
    } catch (error) {
      throw cannotWrite(path, error, exitCode);
    }
    return;
  }
  const target = existing?.isSymbolicLink() ? linkTarget(path) : path;
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, target);
  } catch (error) {
    removeQuietly(temporary);
    throw cannotWrite(path, error, exitCode);
  }
}

/** What is at the path; nothing there yet (ENOENT), or a path through a file (ENOTDIR), is undefined: the write says which. */
function statOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Where a symbolic link points (through further links when they resolve). */
function linkTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // A dangling link: the file it names is made.
    return resolve(dirname(path), readlinkSync(path));
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
    removeQuietly(temporary);
  }
}

/** Removes a temporary file if it is there; a path that cannot hold one (ENOTDIR) has none to remove. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing was made there.
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'a file is in the way (a part of the path is not a directory)',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

function cannotWrite(path: string, error: unknown, exitCode: 1 | 2): ExdefError {
  const e = error as NodeJS.ErrnoException;
  return new ExdefError(`cannot write ${path}: ${(e.code && REASONS[e.code]) ?? e.message}`, { exitCode });
}
