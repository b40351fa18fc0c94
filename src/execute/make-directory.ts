import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ExdefError } from '../failure.js';

/**
 * `mkdir -p` that always ends: Node's recursive mkdirSync retries for ever when a parent exists but
 * refuses children with ENOENT (`/proc/x`). Here each missing directory is made once, from the
 * nearest one that exists (with `mode` when given); a failure throws the system error (ENOENT,
 * EACCES, ENOTDIR, ...).
 */
export function makeDirectory(path: string, mode?: number): void {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    let stat;
    try {
      stat = statSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.push(at);
      const parent = dirname(at);
      if (parent === at) break;
      at = parent;
      continue;
    }
    if (!stat.isDirectory()) throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
    break;
  }
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory, mode === undefined ? undefined : { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** A directory the user named, made if missing: a failure is one clear line, exit code 2. */
export function makeOutputDirectory(path: string, what = 'the output directory', mode?: number): void {
  try {
    makeDirectory(path, mode);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new ExdefError(`cannot create ${what} ${path}: ${directoryProblem(e)}`, { exitCode: 2, step: 'output' });
  }
}

export function directoryProblem(e: NodeJS.ErrnoException): string {
  return e.code === 'EACCES' || e.code === 'EPERM'
    ? 'permission denied'
    : e.code === 'ENOSPC'
      ? 'the disk is full'
      : e.code === 'EROFS'
        ? 'a read-only file system'
        : e.code === 'ENOTDIR' || e.code === 'EEXIST'
          ? 'a file is in the way (it is not a directory)'
          : e.code === 'ENOENT'
            ? 'it cannot be made there'
            : e.message;
}
