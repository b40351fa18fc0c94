import type { ExtractDefinition } from '../ir/extract-definition.js';
import type { ChangeKind } from './change.js';

/**
 * A change as a detector finds it, before it is classed. Whether it needs IG review is the
 * detector's judgement (`review`); whether it forces a new baseline is not guessed: `apply`
 * makes this one change to a copy of the old definition, and the change forces a new baseline
 * exactly when that moves the fingerprint (src/ir/fingerprint.ts stays the one authority).
 */
export interface DraftChange {
  kind: ChangeKind;
  path: string;
  dataset?: string;
  field?: string;
  before?: string;
  after?: string;
  explanation: string;
  /** Scope or identifiability grows: the IG reviewer must approve again. */
  review: boolean;
  /** Makes this change alone to `draft`, a copy of the old definition. */
  apply: (draft: ExtractDefinition) => void;
}

/** A detector: the changes of one part of a definition. */
export type Detector = (before: ExtractDefinition, after: ExtractDefinition) => DraftChange[];

/** A value for `before`/`after`: undefined stays undefined, lists are joined. */
export function shown(value: string | number | boolean | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}
