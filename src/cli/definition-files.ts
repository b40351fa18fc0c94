import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ExdefError } from '../failure.js';

/** Names of definition files: *.exdef.yaml, *.exdef.yml and *.exdef. */
export function isDefinitionFile(name: string): boolean {
  return /\.exdef(\.ya?ml)?$/i.test(name);
}

/** The one definition file a command (compile, run, convert) was given: missing or a directory is a usage error (exit 2). */
export function definitionFileArgument(file: string): string {
  if (!existsSync(file)) throw new ExdefError(`${file}: no such file`, { exitCode: 2 });
  if (statSync(file).isDirectory()) throw new ExdefError(`${file} is a directory: name one definition file`, { exitCode: 2 });
  return file;
}

/**
 * The definition files named by command-line arguments: files as given, directories searched
 * recursively, and glob patterns (quoted, as CI configurations write them) expanded. A name that
 * is neither (a missing file, a mistyped directory) or a directory without definitions is a usage
 * error, exit 2, as in every command.
 */
export function definitionFiles(args: readonly string[], options: { missing?: 'error' | 'keep' } = {}): string[] {
  const files: string[] = [];
  for (const arg of args) {
    if (existsSync(arg) && statSync(arg).isDirectory()) {
      const found = walkFiles(arg, isDefinitionFile);
      if (found.length === 0 && options.missing !== 'keep') throw new ExdefError(`${arg}: no definition files (*.exdef.yaml, *.exdef) in this directory`, { exitCode: 2 });
      files.push(...found);
    } else if (!existsSync(arg) && !/[*?[\]{}]/.test(arg) && options.missing !== 'keep') {
      throw new ExdefError(`${arg}: no such file or directory`, { exitCode: 2 });
    } else if (!existsSync(arg) && /[*?[\]{}]/.test(arg)) {
      // tinyglobby is loaded only when a pattern is given (most runs name files or directories).
      const { globSync } = createRequire(import.meta.url)('tinyglobby') as typeof import('tinyglobby');
      files.push(...globSync(arg, { onlyFiles: true, expandDirectories: false }).filter(isDefinitionFile).sort());
    } else {
      files.push(arg);
    }
  }
  return [...new Set(files)];
}

/** The files below a directory whose names are accepted, in name order; hidden entries and node_modules are skipped. */
export function walkFiles(dir: string, accept: (name: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...walkFiles(path, accept));
    else if (accept(entry.name)) found.push(path);
  }
  return found;
}
