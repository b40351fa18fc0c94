import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { isDynamicPattern } from 'tinyglobby';
import type { Catalogue } from '../../catalogue/catalogue.js';
import { CHANGE_CLASSES, type ChangeClass } from '../../diff/change.js';
import {
  addedComparison,
  changedComparison,
  errorComparison,
  FAIL_ON,
  removedComparison,
  shouldFail,
  unchangedComparison,
  type FailOn,
  type FileComparison,
} from '../../diff/file-comparison.js';
import { blobId, filesAt, openRevision, readAt } from '../../diff/git-revision.js';
import { renderComparison, renderTotals } from '../../diff/render-diff.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { paletteFor, readSource, renderDiagnostics } from '../../diagnostics/render-terminal.js';
import { ExdefError } from '../../failure.js';
import type { ExtractDefinition } from '../../ir/extract-definition.js';
import { checkDefinitionFile, checkDefinitionText } from '../../pipeline/check-definition.js';
import { sourceFile } from '../../source/source-file.js';
import { definitionFileArgument, definitionFiles, isDefinitionFile } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, jsonFlag } from '../shared-flags.js';

export default class Diff extends ExdefCommand {
  static override summary = 'Show what changed in meaning between two versions of a definition, for IG review and CI';
  static override description = [
    'Compares two definitions by meaning, not text: a reformat, a comment or the other syntax is no change. Each change (a field added, a transform made finer or coarser, the population widened or narrowed, the mode, schedule, delivery, governance text...) is classed, most serious first:',
    '- needs-ig-review: the scope or identifiability of the extract grows, so the IG reviewer approves it again;',
    "- needs-new-baseline: the data produced changes (the definition's fingerprint moves), so the next run is a full extract;",
    '- no-effect: neither (governance texts, justifications, the version number, the CSV dialect).',
    'With --base, every definition file under PATHS (default: the current directory) is compared with its version at GIT_REF: a new file is a new definition (needs IG review), a deleted one stops its extract (no effect), files with identical contents are skipped.',
    'Exit code 0 when no change reaches --fail-on (default needs-ig-review), 1 when one does, 2 for usage and git errors and for definitions that do not parse or resolve.',
  ].join('\n');
  static override strict = false;
  static override examples = [
    { description: 'Compare two versions of a definition (either syntax, they may differ)', command: '<%= config.bin %> diff approved/chis-immunisations.exdef.yaml definitions/chis-immunisations.exdef' },
    { description: 'In a pull request: compare the working tree with the target branch', command: '<%= config.bin %> diff --base origin/main definitions/' },
    { description: 'Machine-readable, failing on anything that forces a full extract', command: '<%= config.bin %> diff --base origin/main --json --fail-on needs-new-baseline' },
  ];
  static override args = {
    files: Args.string({ description: 'OLD and NEW definition files; with --base, the definition files or directories to compare (default: .)' }),
  };
  static override flags = {
    base: Flags.string({ description: 'Compare the working tree with this git revision (branch, tag or commit)', helpValue: 'GIT_REF' }),
    'fail-on': Flags.string({ description: 'Exit 1 when a change of this class (or a more serious one) is found; any: on any change', options: [...FAIL_ON], default: 'needs-ig-review' }),
    json: jsonFlag,
    catalogue: catalogueFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Diff);
    const paths = argv as string[];
    const failOn = flags['fail-on'] as FailOn;
    if (flags.base === undefined && paths.length !== 2) {
      throw new ExdefError(`diff needs two files, OLD and NEW, or --base GIT_REF [PATHS...]; got ${paths.length} argument${paths.length === 1 ? '' : 's'}`, { exitCode: 2 });
    }
    const catalogue = catalogueForCommand(flags.catalogue);
    if (flags.base === undefined) for (const path of paths) definitionFileArgument(path);
    const comparisons = flags.base === undefined ? this.compareFiles(paths[0]!, paths[1]!, catalogue) : this.compareWithBase(flags.base, paths.length > 0 ? paths : ['.'], catalogue);
    const failed = shouldFail(comparisons, failOn);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(jsonReport(comparisons, flags.base, failOn, failed), null, 2)}\n`);
    } else {
      const palette = paletteFor(process.stdout);
      const shown = comparisons.filter((c) => c.status !== 'unchanged');
      process.stdout.write(shown.map((c) => renderComparison(c, palette)).join('\n'));
      if (flags.base !== undefined) process.stdout.write(`${shown.length > 0 ? '\n' : ''}${renderTotals(comparisons, flags.base)}`);
    }
    const errors = comparisons.filter((c) => c.status === 'error');
    if (errors.length > 0) {
      const names = errors.map((c) => c.new?.file ?? c.old?.file).join(', ');
      throw new ExdefError(`cannot compare ${names}: ${errors.length === 1 ? 'it does' : 'they do'} not parse or resolve (see above)`, { exitCode: 2 });
    }
    if (failed) this.exit(1);
  }

  /** `exdef diff OLD NEW`: both must resolve; otherwise their diagnostics and exit 2. */
  private compareFiles(oldFile: string, newFile: string, catalogue: Catalogue): FileComparison[] {
    const before = checkDefinitionFile(oldFile, { catalogue });
    const after = checkDefinitionFile(newFile, { catalogue });
    const failures = [
      [oldFile, before],
      [newFile, after],
    ].filter(([, c]) => !(c as typeof before).definition) as [string, typeof before][];
    for (const [file, checked] of failures) this.reportUnusable(file, checked.diagnostics);
    if (failures.length > 0) {
      throw new ExdefError(`cannot compare: ${failures.map(([f]) => f).join(' and ')} ${failures.length === 1 ? 'does' : 'do'} not parse or resolve (see above)`, { exitCode: 2 });
    }
    return [changedComparison(oldFile, before.definition!, newFile, after.definition!)];
  }

  /** `exdef diff --base GIT_REF [PATHS...]`: each definition file in the working tree against its version at GIT_REF. */
  private compareWithBase(ref: string, args: string[], catalogue: Catalogue): FileComparison[] {
    const cwd = process.cwd();
    const revision = openRevision(ref, cwd);
    const root = realpathSync(revision.root);
    const toRepo = (path: string): string => {
      const rel = relative(root, realish(resolve(cwd, path)));
      if (rel.startsWith('..') || isAbsolute(rel)) throw new ExdefError(`${path} is outside the git repository ${revision.root}`, { exitCode: 2 });
      return rel.split(sep).join('/');
    };
    const display = (repoPath: string) => relative(cwd, join(root, repoPath)) || repoPath;

    // The definitions at the base, under the same paths.
    const baseFiles = new Map<string, string>();
    for (const arg of args) {
      const glob = !existsSync(arg) && isDynamicPattern(arg);
      const spec = glob ? posix(isAbsolute(arg) ? relative(root, arg) : join(relative(root, realish(cwd)), arg)) : toRepo(arg);
      const found = [...filesAt(revision, spec, glob)].filter(([path]) => isDefinitionFile(basename(path)) && (glob || !hiddenBelow(path, spec)));
      if (found.length === 0 && !existsSync(arg) && !glob) throw new ExdefError(`${arg}: no such file or directory, in the working tree or at ${ref}`, { exitCode: 2 });
      for (const [path, blob] of found) baseFiles.set(path, blob);
    }
    // The definitions in the working tree.
    const working = new Map<string, string>();
    for (const file of definitionFiles(args, { missing: 'keep' })) if (existsSync(file) && statSync(file).isFile()) working.set(toRepo(file), file);
    if (working.size === 0 && baseFiles.size === 0) throw new ExdefError(`no definition files (*.exdef.yaml, *.exdef) under ${args.join(' ')}, in the working tree or at ${ref}`, { exitCode: 2 });

    const comparisons: FileComparison[] = [];
    const added: { file: string; definition: ExtractDefinition }[] = [];
    for (const [repoPath, file] of working) {
      const oldLabel = `${ref}:${repoPath}`;
      const bytes = readFileSync(file);
      const blob = baseFiles.get(repoPath);
      if (blob !== undefined && blobId(bytes, blob.length) === blob) {
        comparisons.push(unchangedComparison(oldLabel, file));
        continue;
      }
      const text = bytes.toString('utf8');
      const oldText = blob === undefined ? undefined : readAt(revision, repoPath);
      if (oldText === text) {
        comparisons.push(unchangedComparison(oldLabel, file));
        continue;
      }
      const after = checkDefinitionText(file, text, { catalogue });
      if (!after.definition) {
        this.reportUnusable(file, after.diagnostics);
        comparisons.push(errorComparison(oldText === undefined ? undefined : oldLabel, file, 'the working-tree version does not parse or resolve'));
        continue;
      }
      if (oldText === undefined) {
        added.push({ file, definition: after.definition });
        continue;
      }
      const before = checkDefinitionText(oldLabel, oldText, { catalogue });
      if (!before.definition) {
        // Never runnable as it was, so never approved as it was: the fixed version is reviewed as a new one.
        this.say(`warning: ${oldLabel} does not parse or resolve; ${file} is compared as a new definition`);
        comparisons.push(addedComparison(file, after.definition, `the version at ${ref} does not parse or resolve, so this is reviewed as a new definition`));
        continue;
      }
      comparisons.push(changedComparison(oldLabel, before.definition, file, after.definition));
    }

    // Deleted files; one whose definition id reappears in a new file was moved, and is compared with it.
    for (const repoPath of baseFiles.keys()) {
      if (working.has(repoPath) || existsSync(join(root, repoPath))) continue;
      const oldLabel = `${ref}:${repoPath}`;
      const before = checkDefinitionText(oldLabel, readAt(revision, repoPath), { catalogue }).definition;
      const moved = before ? added.findIndex((a) => a.definition.id === before.id) : -1;
      if (before && moved >= 0) {
        const [{ file, definition }] = added.splice(moved, 1) as [{ file: string; definition: ExtractDefinition }];
        comparisons.push(changedComparison(oldLabel, before, file, definition));
      } else {
        comparisons.push(removedComparison(display(repoPath), before));
      }
    }
    for (const { file, definition } of added) comparisons.push(addedComparison(file, definition));
    const key = (c: FileComparison) => c.new?.file ?? c.old?.file ?? '';
    return comparisons.sort((a, b) => key(a).localeCompare(key(b)));
  }

  /** A definition that does not parse or resolve: its diagnostics on stderr, with the file named. */
  private reportUnusable(file: string, diagnostics: readonly Diagnostic[], text?: string): void {
    this.say(`${file} does not parse or resolve:`);
    const lookup = text === undefined ? readSource : (path: string) => (path === file ? sourceFile(file, text) : readSource(path));
    process.stderr.write(renderDiagnostics(diagnostics.filter((d) => d.severity === 'error'), lookup, paletteFor(process.stderr)));
  }
}

/** The JSON output: every comparison (with fingerprints), totals by class, and whether it fails. */
function jsonReport(comparisons: FileComparison[], base: string | undefined, failOn: FailOn, failed: boolean): unknown {
  const changes = comparisons.flatMap((c) => c.changes);
  const byClass = Object.fromEntries(CHANGE_CLASSES.map((cls) => [cls, changes.filter((c) => c.class === cls).length])) as Record<ChangeClass, number>;
  return {
    ...(base !== undefined ? { base } : {}),
    failOn,
    failed,
    summary: {
      definitions: comparisons.length,
      ...byClass,
      fingerprintChanged: comparisons.filter((c) => c.fingerprintChanged && c.status !== 'added').length,
      errors: comparisons.filter((c) => c.status === 'error').length,
    },
    comparisons,
  };
}

/** The real path of a file, or of its nearest existing parent joined with the rest (for deleted files). */
function realish(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realish(parent), basename(path));
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** A path inside a hidden directory or node_modules, below the directory that was named (definitionFiles skips those too). */
function hiddenBelow(path: string, spec: string): boolean {
  const rest = spec === '' || spec === '.' ? path : path.slice(spec.length).replace(/^\//, '');
  return rest.split('/').slice(0, -1).some((segment) => segment.startsWith('.') || segment === 'node_modules') || basename(path).startsWith('.');
}
