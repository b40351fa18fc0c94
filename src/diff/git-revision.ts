import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { ExdefError } from '../failure.js';

/**
 * Read-only access to the files of one git revision, for `exdef diff --base`. git runs with its
 * arguments as an array (never through a shell) from the repository's top level, so paths are
 * repository-relative with forward slashes.
 */
export interface GitRevision {
  /** The repository's top-level directory (absolute). */
  root: string;
  /** The ref as the user wrote it, for messages. */
  ref: string;
  /** The commit it names. */
  commit: string;
}

/** Opens `ref` in the repository that holds `cwd`; a clear one-line error (exit 2) otherwise. */
export function openRevision(ref: string, cwd: string): GitRevision {
  if (ref === '' || ref.startsWith('-')) throw new ExdefError(`--base needs a git ref (a branch, tag or commit), not ${JSON.stringify(ref)}`, { exitCode: 2 });
  let root: string;
  try {
    root = git(['rev-parse', '--show-toplevel'], cwd).trim();
  } catch (error) {
    if (isMissingGit(error)) throw new ExdefError('--base needs git, which is not installed or not on the PATH', { exitCode: 2 });
    throw new ExdefError(`--base needs a git repository, and ${cwd} is not inside one`, { exitCode: 2 });
  }
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root).trim();
  } catch {
    commit = '';
  }
  if (!/^[0-9a-f]{40,64}$/.test(commit)) {
    throw new ExdefError(`unknown git ref ${JSON.stringify(ref)}: no branch, tag or commit of that name in ${root}`, { exitCode: 2, hints: ['in CI, fetch the base branch first (e.g. `git fetch origin main`) and pass origin/main'] });
  }
  return { root, ref, commit };
}

/**
 * The files of the revision under repository-relative pathspecs (`''` for the whole repository),
 * with their blob ids. Pathspecs are taken literally, or as globs when `glob` is set.
 */
export function filesAt(revision: GitRevision, pathspec: string, glob = false): Map<string, string> {
  const spec = pathspec === '' ? [] : [glob ? `:(glob)${pathspec}` : `:(literal)${pathspec}`];
  const out = git(['ls-tree', '-r', '-z', '--full-name', revision.commit, '--', ...spec], revision.root);
  const files = new Map<string, string>();
  for (const entry of out.split('\0')) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (match) files.set(match[2]!, match[1]!);
  }
  return files;
}

/** The text of a file at the revision. */
export function readAt(revision: GitRevision, path: string): string {
  return git(['show', `${revision.commit}:${path}`], revision.root);
}

/** The id git gives these bytes as a blob (SHA-1, or SHA-256 in repositories that use it), to skip identical files without reading the old one. */
export function blobId(content: Buffer, length: number): string {
  const algorithm = length === 64 ? 'sha256' : 'sha1';
  return createHash(algorithm).update(`blob ${content.length}\0`).update(content).digest('hex');
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

function isMissingGit(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
