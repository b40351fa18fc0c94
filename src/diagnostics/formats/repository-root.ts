import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';

/**
 * The top level of the git working tree that holds `dir` (where `.git` is, a directory or, in a
 * worktree or submodule, a file), or `dir` itself outside git. Code scanning resolves SARIF
 * paths against the repository root, whatever directory exdef ran in.
 */
export function repositoryRoot(dir: string): string {
  const start = resolve(dir);
  for (let current = start; ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) return start;
  }
}

/** Whether `dir` is inside a git working tree (repositoryRoot found a `.git`). */
function inGit(root: string): boolean {
  return existsSync(join(root, '.git'));
}

/**
 * SARIF's %SRCROOT% for findings in `files`: the git top level of the working directory when the
 * files are in it; else the one git top level that holds them all (`cd /tmp && exdef lint
 * repo/definitions/a.exdef.yaml` still gives paths from repo's root); else the working directory.
 */
export function sourceRoot(cwd: string, files: readonly string[]): string {
  const own = repositoryRoot(cwd);
  const paths = files.map((f) => resolve(cwd, f));
  const inside = (root: string, path: string) => {
    const r = relative(root, path);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  if (inGit(own) && paths.every((p) => inside(own, p))) return own;
  const roots = [...new Set(paths.map((p) => repositoryRoot(dirname(p))))];
  if (roots.length === 1 && inGit(roots[0]!)) return roots[0]!;
  return own;
}
