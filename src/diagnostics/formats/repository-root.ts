import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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
