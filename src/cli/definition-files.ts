import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

/** Names of definition files: *.exdef.yaml, *.exdef.yml and *.exdef. */
export function isDefinitionFile(name: string): boolean {
  return /\.exdef(\.ya?ml)?$/i.test(name);
}

/**
 * The definition files named by command-line arguments: files as given, directories searched
 * recursively, and glob patterns (quoted, as CI configurations write them) expanded. A name that
 * matches nothing is kept, so that reading it reports "no such file".
 */
export function definitionFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    if (existsSync(arg) && statSync(arg).isDirectory()) {
      files.push(...walkFiles(arg, isDefinitionFile));
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
