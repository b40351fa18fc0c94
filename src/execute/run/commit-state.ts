import type { Database } from '../../db/database.js';
import type { ExtractDefinition } from '../../ir/extract-definition.js';
import { writeResent, writeState, type ExtractState } from '../extract-state.js';
import type { Extracted } from './extract.js';
import type { RunPlan } from './plan.js';

export interface CommitInput {
  definition: ExtractDefinition;
  fingerprint: string;
  plan: RunPlan;
  /** The state before the run. */
  state: ExtractState | undefined;
  recordKey: string;
  extractDate: string;
  extracted: Extracted;
  /** A digest of the policy's sensitive sets (plan.ts changesOfMeaning compares it at the next run). */
  policy: string;
}

/**
 * The commit stage, last: the state advances — in one transaction — only once the output is in
 * place (and in the outbox). Returns why it could not be saved, if it could not: the output is
 * complete, and the "placed, not yet saved" mark makes the next run a full.
 */
export async function commitState(db: Database, c: CommitInput): Promise<string | undefined> {
  if (c.plan.commit === 'nothing') return undefined;
  if (c.plan.commit === 'resent') {
    try {
      await writeResent(db, {
        definitionId: c.definition.id,
        practices: c.plan.scope?.practices ?? [],
        perPractice: c.definition.output.layout === 'per_practice',
        population: c.extracted.population,
        sent: new Map([...c.extracted.records].map(([dataset, r]) => [dataset, r.next.sorted()])),
        withheld: c.extracted.withheld,
      });
      return undefined;
    } catch (error) {
      return `the re-send is complete, but the state could not record what it sent (${(error as Error).message}): the next run is a full extract`;
    }
  }
  try {
    await writeState(
      db,
      {
        definitionId: c.definition.id,
        fingerprint: c.fingerprint,
        recordKey: c.recordKey,
        lastSnapshot: c.extracted.snapshot,
        lastExtractDate: c.extractDate,
        lastMode: c.plan.mode,
        runs: (c.state?.runs ?? 0) + 1,
        ...(c.extracted.terminology ? { terminology: c.extracted.terminology } : {}),
        policy: c.policy,
        layout: c.definition.output.layout,
      },
      c.definition.mode === 'delta' ? c.extracted.population : undefined,
      new Map([...c.extracted.records].map(([dataset, r]) => [dataset, r.next.sorted()])),
      c.extracted.withheld,
    );
    return undefined;
  } catch (error) {
    return `the extract is complete, but its state could not be saved (${(error as Error).message}): the next run repeats this one`;
  }
}
