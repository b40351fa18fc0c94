import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { walkFiles } from '../cli/definition-files.js';
import { ExdefError } from '../failure.js';

/** A test file and the definition files it tests (the same NAME in either syntax). */
export interface TestTarget {
  testFile: string;
  definitionFiles: string[];
}

const TEST_SUFFIX = /\.test\.ya?ml$/i;
const DEFINITION_SUFFIX = /\.exdef(\.ya?ml)?$/i;

export function isTestFile(name: string): boolean {
  return TEST_SUFFIX.test(name);
}

/** `definitions/diabetes-recall.test.yaml` → `definitions/diabetes-recall.exdef.yaml`, `.exdef.yml`, `.exdef` (those that exist). */
export function definitionsOfTest(testFile: string): string[] {
  const stem = join(dirname(testFile), basename(testFile).replace(TEST_SUFFIX, ''));
  return [`${stem}.exdef.yaml`, `${stem}.exdef.yml`, `${stem}.exdef`].filter((f) => existsSync(f));
}

/** `definitions/diabetes-recall.exdef` → `definitions/diabetes-recall.test.yaml` (or .test.yml). */
export function testOfDefinition(definitionFile: string): string | undefined {
  const stem = join(dirname(definitionFile), basename(definitionFile).replace(DEFINITION_SUFFIX, ''));
  return [`${stem}.test.yaml`, `${stem}.test.yml`].find((f) => existsSync(f));
}

/**
 * The tests named on the command line: test files as given, definition files by their companion
 * test (that definition file only), directories searched for *.test.yaml; with none,
 * `definitions/`. A name that is none of these is a usage error.
 */
export function testTargets(args: readonly string[], defaultDirectory = 'definitions'): TestTarget[] {
  const targets = new Map<string, Set<string>>();
  const add = (testFile: string, definitions: readonly string[]) => {
    const set = targets.get(testFile) ?? new Set<string>();
    for (const d of definitions) set.add(d);
    targets.set(testFile, set);
  };
  const named = args.length > 0 ? args : [defaultDirectory];
  for (const arg of named) {
    if (!existsSync(arg)) {
      throw new ExdefError(`${arg}: no such file or directory`, { exitCode: 2, ...(args.length === 0 ? { hints: ['name the test files or directories to run (exdef test FILES...)'] } : {}) });
    }
    if (statSync(arg).isDirectory()) {
      const found = walkFiles(arg, isTestFile);
      // An empty or mistyped directory is a mistake, not a pass (exit 2, as lint and fmt).
      if (found.length === 0) throw new ExdefError(`${arg}: no definition tests (*.test.yaml) in this directory`, { exitCode: 2, hints: ['docs/testing.md describes the format'] });
      for (const file of found) add(file, definitionsOfTest(file));
    } else if (isTestFile(arg)) {
      add(arg, definitionsOfTest(arg));
    } else if (DEFINITION_SUFFIX.test(arg)) {
      const test = testOfDefinition(arg);
      if (!test) {
        throw new ExdefError(`${arg} has no companion test: write ${join(dirname(arg), `${basename(arg).replace(DEFINITION_SUFFIX, '')}.test.yaml`)}`, { exitCode: 2, hints: ['docs/testing.md describes the format'] });
      }
      add(test, [arg]);
    } else {
      throw new ExdefError(`${arg} is neither a definition test (NAME.test.yaml), a definition (NAME.exdef.yaml, NAME.exdef) nor a directory`, { exitCode: 2 });
    }
  }
  return [...targets].map(([testFile, definitions]) => ({ testFile, definitionFiles: [...definitions].sort() }));
}

