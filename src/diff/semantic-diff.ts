import type { ExtractDefinition } from '../ir/extract-definition.js';
import { fingerprint } from '../ir/fingerprint.js';
import { classRank, countByClass, mostSerious, type ChangeClass, type DefinitionChange, type DefinitionDiff } from './change.js';
import { sameMeaning } from './canonical-key.js';
import { diffDatasets } from './diff-datasets.js';
import { diffExemptions } from './diff-exemptions.js';
import { diffGovernance } from './diff-governance.js';
import { diffPopulation } from './diff-population.js';
import type { Detector, DraftChange } from './draft-change.js';

export type { ChangeClass, ChangeKind, DefinitionChange, DefinitionDiff } from './change.js';

const DETECTORS: Detector[] = [diffGovernance, diffPopulation, diffDatasets, diffExemptions];

/**
 * What changed in meaning between two resolved definitions, each change classed
 * `needs-ig-review` (scope or identifiability grows), `needs-new-baseline` (the data produced
 * changes: the fingerprint moves, so the next delta run is a full extract) or `no-effect`.
 *
 * Only meaning is compared: the syntax a definition is written in, its layout, comments, key
 * order and ECL terms make no change. Whether a change forces a new baseline is decided by
 * making that one change to a copy of the old definition and fingerprinting it, so the diff
 * agrees with src/ir/fingerprint.ts by construction.
 */
export function diffDefinitions(before: ExtractDefinition, after: ExtractDefinition): DefinitionDiff {
  const oldFingerprint = fingerprint(before);
  const newFingerprint = fingerprint(after);
  const fingerprintChanged = oldFingerprint !== newFingerprint;
  const changes: DefinitionChange[] = [];
  if (!sameMeaning(before, after)) {
    const template = { ...before, source: { ...before.source, spans: {}, keySpans: {}, comments: {} } };
    const movesFingerprint = (draft: DraftChange): boolean => {
      const copy = structuredClone(template);
      draft.apply(copy);
      return fingerprint(copy) !== oldFingerprint;
    };
    for (const detect of DETECTORS) {
      for (const draft of detect(before, after)) changes.push(classify(draft, movesFingerprint(draft)));
    }
    changes.push(...safetyNets(changes, fingerprintChanged));
  }
  const ordered = changes
    .map((change, index) => ({ change, index }))
    .sort((x, y) => classRank(y.change.class) - classRank(x.change.class) || x.index - y.index)
    .map((x) => x.change);
  return {
    old: { id: before.id, version: before.version, fingerprint: oldFingerprint },
    new: { id: after.id, version: after.version, fingerprint: newFingerprint },
    fingerprintChanged,
    changes: ordered,
    counts: countByClass(ordered),
    class: mostSerious(ordered.map((c) => c.class)) ?? 'none',
  };
}

function classify(draft: DraftChange, changesFingerprint: boolean): DefinitionChange {
  const cls: ChangeClass = draft.review ? 'needs-ig-review' : changesFingerprint ? 'needs-new-baseline' : 'no-effect';
  // A text the data does not depend on, but that the fingerprint covers (population justifications).
  const explanation = cls === 'needs-new-baseline' && /does not change/.test(draft.explanation) ? `${draft.explanation}, but the fingerprint covers it: the next run is a full extract` : draft.explanation;
  return {
    kind: draft.kind,
    class: cls,
    path: draft.path,
    ...(draft.dataset !== undefined ? { dataset: draft.dataset } : {}),
    ...(draft.field !== undefined ? { field: draft.field } : {}),
    ...(draft.before !== undefined ? { before: draft.before } : {}),
    ...(draft.after !== undefined ? { after: draft.after } : {}),
    changesFingerprint,
    explanation,
  };
}

/**
 * Differences no detector itemised (a part of the IR added later and not yet diffed): reported
 * conservatively rather than silently dropped.
 */
function safetyNets(changes: DefinitionChange[], fingerprintChanged: boolean): DefinitionChange[] {
  if (changes.length === 0) {
    return [
      {
        kind: 'definition-changed',
        class: 'needs-ig-review',
        path: '',
        changesFingerprint: fingerprintChanged,
        explanation: 'the definition means something different in a way exdef does not itemise; review it',
      },
    ];
  }
  if (fingerprintChanged && !changes.some((c) => c.changesFingerprint)) {
    return [
      {
        kind: 'data-changed',
        class: 'needs-new-baseline',
        path: '',
        changesFingerprint: true,
        explanation: 'the data the definition produces changes in a way exdef does not itemise; the next run is a full extract',
      },
    ];
  }
  return [];
}
