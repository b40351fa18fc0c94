import type { ExtractDefinition } from '../ir/extract-definition.js';
import { fingerprint } from '../ir/fingerprint.js';
import { classRank, countByClass, type ChangeClass, type DefinitionChange, type DefinitionIdentity } from './change.js';
import { diffDefinitions } from './semantic-diff.js';

/**
 * One definition file compared with its other version: what `exdef diff` prints per file pair.
 * - `changed`: both versions exist (the diff may still be empty: a reformat);
 * - `unchanged`: the file's contents are identical (not even parsed);
 * - `added`: no old version (a new definition: it needs IG review before it runs);
 * - `removed`: no new version. The extract stops, so nothing more leaves the practice and there is
 *   no next run to re-baseline: the change is `no-effect` (it is listed, and `--fail-on any` fails);
 * - `error`: a version does not parse or resolve (exit code 2).
 */
export interface FileComparison {
  status: 'changed' | 'unchanged' | 'added' | 'removed' | 'error';
  old?: Side;
  new?: Side;
  fingerprintChanged: boolean;
  class: ChangeClass | 'none';
  counts: Record<ChangeClass, number>;
  changes: DefinitionChange[];
  error?: string;
}

/** A file and, once resolved, the definition's id, version and fingerprint. */
export type Side = { file: string } & Partial<DefinitionIdentity>;

export function changedComparison(oldFile: string, before: ExtractDefinition, newFile: string, after: ExtractDefinition): FileComparison {
  const diff = diffDefinitions(before, after);
  return {
    status: 'changed',
    old: { file: oldFile, ...diff.old },
    new: { file: newFile, ...diff.new },
    fingerprintChanged: diff.fingerprintChanged,
    class: diff.class,
    counts: diff.counts,
    changes: diff.changes,
  };
}

export function unchangedComparison(oldFile: string, newFile: string): FileComparison {
  return { status: 'unchanged', old: { file: oldFile }, new: { file: newFile }, fingerprintChanged: false, class: 'none', counts: countByClass([]), changes: [] };
}

export function addedComparison(newFile: string, definition: ExtractDefinition, explanation = 'new definition: needs IG review before it runs'): FileComparison {
  const side = { file: newFile, ...identity(definition) };
  const changes: DefinitionChange[] = [
    {
      kind: 'definition-added',
      class: 'needs-ig-review',
      path: '',
      after: `${definition.id} version ${definition.version}`,
      changesFingerprint: true,
      explanation,
    },
  ];
  return { status: 'added', new: side, fingerprintChanged: true, class: 'needs-ig-review', counts: countByClass(changes), changes };
}

export function removedComparison(oldFile: string, definition: ExtractDefinition | undefined): FileComparison {
  const changes: DefinitionChange[] = [
    {
      kind: 'definition-removed',
      class: 'no-effect',
      path: '',
      ...(definition ? { before: `${definition.id} version ${definition.version}` } : {}),
      changesFingerprint: false,
      explanation: 'definition removed: the extract stops, so nothing more is sent and there is nothing to review or re-baseline',
    },
  ];
  return { status: 'removed', old: { file: oldFile, ...(definition ? identity(definition) : {}) }, fingerprintChanged: false, class: 'no-effect', counts: countByClass(changes), changes };
}

export function errorComparison(oldFile: string | undefined, newFile: string | undefined, error: string): FileComparison {
  return {
    status: 'error',
    ...(oldFile !== undefined ? { old: { file: oldFile } } : {}),
    ...(newFile !== undefined ? { new: { file: newFile } } : {}),
    fingerprintChanged: false,
    class: 'none',
    counts: countByClass([]),
    changes: [],
    error,
  };
}

function identity(definition: ExtractDefinition): DefinitionIdentity {
  return { id: definition.id, version: definition.version, fingerprint: fingerprint(definition) };
}

/** What `--fail-on` takes: a class, or `any` change at all. */
export type FailOn = 'needs-ig-review' | 'needs-new-baseline' | 'any';
export const FAIL_ON: readonly FailOn[] = ['needs-ig-review', 'needs-new-baseline', 'any'];

/**
 * Whether CI should fail (exit 1): a change of the `failOn` class or a more serious one
 * (`needs-new-baseline` also fails on any fingerprint change), or with `any`, any change at all.
 */
export function shouldFail(comparisons: readonly FileComparison[], failOn: FailOn): boolean {
  return comparisons.some((c) => {
    if (failOn === 'any') return c.changes.length > 0;
    if (failOn === 'needs-new-baseline' && c.fingerprintChanged && c.status !== 'removed') return true;
    return c.changes.some((change) => classRank(change.class) >= classRank(failOn));
  });
}
