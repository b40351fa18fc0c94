import type { RulesUsed } from './rules-digest.js';
import type { ExcludedPractice } from '../../approval/practice-approvals.js';
import type { DisclosureCheck, LinkedDisclosureCheck } from '../../disclosure/disclosure-checks.js';
import type { CompiledPlan } from '../../sql/compile-extract.js';
import type { CsvDialect } from '../csv.js';
import type { WrittenFile } from '../dataset-writer.js';
import type { RunPlan } from './plan.js';

export const GENERATOR = 'exdef 0.1';

/** manifest.json, inside the ZIP (and beside it in the outbox). */
export interface Manifest {
  manifest: 1;
  generator: string;
  definition: { id: string; version: number; title: string; fingerprint: string; digest: string };
  extractDate: string;
  snapshot: string;
  /**
   * `full`: every row of the extract, which replaces what the recipient holds — all of it, or with
   * `scope`, only what it holds of the named practices. `delta`: upserts and deletes to apply to it.
   */
  mode: 'full' | 'delta';
  reason: string;
  /**
   * Present only on a run for some practices (--practice): a full extract of these practices
   * only, never to be applied as replacing everything. A recipient applies its rows as upserts
   * (by record_id in a delta definition, or the practice's folder in per_practice layout) and
   * keeps every other practice's rows as they are (docs/run.md, "Re-sending practices").
   */
  scope?: { practices: string[] };
  /**
   * A delta definition's run: what the recipient's copy was compared with (the last run's
   * snapshot; null for a new baseline) and what changed the meaning of the data since (a
   * terminology update, the policy's code sets, the date today() filters are judged on). A delta
   * is made by comparing the full result with what the recipient holds, so each of these arrives
   * as the upserts and deletes it causes.
   */
  comparison?: { with: string | null; changes: string[] };
  /** The catalogue and policy the guards were built from, by name and digest (rules-digest.ts). */
  catalogue: RulesUsed['catalogue'];
  policy: RulesUsed['policy'];
  practices: string[];
  /** Practices of the definition left out (no valid approval), and why. */
  excluded: ExcludedPractice[];
  layout: 'single_zip' | 'per_practice';
  csv: CsvDialect;
  population: { patients: number };
  files: (Omit<WrittenFile, 'practice'> & { practice?: string; columns: { name: string; type: string }[] })[];
  disclosure: DisclosureCheck[];
  /** Datasets linked by a linkage key, measured as one table (the mosaic effect). */
  linkedDisclosure: LinkedDisclosureCheck[];
}

export interface ManifestInput {
  plan: CompiledPlan;
  runPlan: RunPlan;
  extractDate: string;
  snapshot: string;
  practices: string[];
  excluded: ExcludedPractice[];
  dialect: CsvDialect;
  patients: number;
  files: WrittenFile[];
  disclosure: DisclosureCheck[];
  linkedDisclosure: LinkedDisclosureCheck[];
  /** What changed the meaning of the data since the run compared with (plan.ts changesOfMeaning). */
  changes: string[];
  rules: RulesUsed;
}

/** The manifest of a run: plain data from the run's plan and what it extracted. */
export function buildManifest(m: ManifestInput): Manifest {
  const d = m.plan.definition;
  const reason = m.changes.length > 0 ? `${m.runPlan.reason}; ${m.changes.join('; ')}` : m.runPlan.reason;
  return {
    manifest: 1,
    generator: GENERATOR,
    definition: { id: d.id, version: d.version, title: d.title, fingerprint: d.fingerprint, digest: d.digest },
    extractDate: m.extractDate,
    snapshot: m.snapshot,
    mode: m.runPlan.mode,
    reason,
    ...(m.runPlan.scope ? { scope: m.runPlan.scope } : {}),
    ...(d.mode === 'delta' ? { comparison: { with: m.runPlan.baseline, changes: m.changes } } : {}),
    catalogue: m.rules.catalogue,
    policy: m.rules.policy,
    practices: m.practices,
    excluded: m.excluded,
    layout: d.layout,
    csv: m.dialect,
    population: { patients: m.patients },
    files: m.files.map((f) => {
      const dataset = m.plan.datasets.find((x) => x.name === f.dataset)!;
      return { ...f, columns: dataset.columns.filter((c) => c.role !== 'practice' && c.role !== 'held').map((c) => ({ name: c.name, type: c.role === 'field' ? c.type : 'text' })) };
    }),
    disclosure: m.disclosure,
    linkedDisclosure: m.linkedDisclosure,
  };
}
