/**
 * The non-interference check of issue 11: lint each definition; run those that lint clean on the
 * seeded database, add every class of excluded data for them, run them again, take the data away,
 * and compare the deliveries byte for byte.
 *
 * Definitions are checked in batches that share an exclusion profile (population options,
 * practices, released sets: what decides which rows are excluded), so that the excluded data is
 * added and removed once per profile rather than once per definition. When asked (`attribute`),
 * a leaking definition is run again with each class of excluded data alone, to say which class
 * reached which file.
 */
import type { Catalogue } from '../../../src/catalogue/catalogue.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Database } from '../../../src/db/database.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { compileDefinitionFile } from '../../../src/pipeline/compile-definition.js';
import { prepareLint, type LintContext } from '../../../src/pipeline/lint-definition.js';
import { deliver, differences, type Delivery, type RunSide } from './differential-run.js';
import { addExcludedData, classesFor, profileOf, type ExcludedClass, type ExclusionProfile, type SeededFacts } from './excluded-data.js';

export interface NonInterferenceEnvironment {
  db: Database;
  facts: SeededFacts;
  catalogue?: Catalogue;
}

export type Leak = { class: ExcludedClass | 'all classes together'; differences: string[] };

export type Verdict =
  | { kind: 'refused'; errors: string[] }
  | { kind: 'held'; delivered: boolean; files: number }
  | { kind: 'leaked'; leaks: Leak[] };

const contexts = new Map<string, Promise<LintContext>>();

/** The CLI's lint context (reference catalogue, IM1 policy, sample terminology) for a date. */
export function lintContextOn(today: string): Promise<LintContext> {
  let context = contexts.get(today);
  if (!context) {
    context = prepareLint({ catalogue: referenceCatalogue(), today }).then((p) => {
      if (!p.context) throw new Error(p.diagnostics.map((d) => d.message).join('; '));
      return p.context;
    });
    contexts.set(today, context);
  }
  return context;
}

export interface CheckOptions {
  /** Say which class leaked, by adding each alone (an extra run per class and leaking definition). */
  attribute?: boolean;
}

let round = 0;

interface Runnable {
  index: number;
  definition: ExtractDefinition;
  side: RunSide;
  profile: ExclusionProfile;
  base?: Delivery;
}

/** Checks definition files (all run with `today` as --today); one verdict per file, in order. */
export async function checkNonInterference(env: NonInterferenceEnvironment, files: readonly string[], today: string, options: CheckOptions = {}): Promise<Verdict[]> {
  const context = await lintContextOn(today);
  const verdicts: Verdict[] = new Array(files.length);
  const runnable: Runnable[] = [];
  files.forEach((file, index) => {
    const compiled = compileDefinitionFile(file, context);
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    if (!compiled.plan || !compiled.definition || errors.length > 0) {
      verdicts[index] = { kind: 'refused', errors: errors.map((d) => `${d.code}: ${d.message}`) };
      return;
    }
    const side: RunSide = { db: env.db, catalogue: env.catalogue ?? context.catalogue, file, today, keyNames: compiled.plan.keys };
    runnable.push({ index, definition: compiled.definition, side, profile: profileOf(compiled.definition) });
  });

  const groups = new Map<string, Runnable[]>();
  for (const r of runnable) {
    const key = JSON.stringify(r.profile);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    const profile = group[0]!.profile;
    for (const r of group) r.base = await deliver(r.side, r.definition.id);
    const variants = await withExcludedData(env, profile, classesFor(profile), today, async () => {
      const out: Delivery[] = [];
      for (const r of group) out.push(await deliver(r.side, r.definition.id));
      return out;
    });
    for (const [i, r] of group.entries()) {
      const found = differences(r.base!, variants[i]!);
      if (found.length === 0) {
        verdicts[r.index] = { kind: 'held', delivered: r.base!.kind === 'delivered', files: r.base!.kind === 'delivered' ? r.base!.files.size : 0 };
        continue;
      }
      verdicts[r.index] = { kind: 'leaked', leaks: options.attribute ? await attribute(env, r, today, found) : [{ class: 'all classes together', differences: found }] };
    }
  }
  return verdicts;
}

async function withExcludedData<T>(env: NonInterferenceEnvironment, profile: ExclusionProfile, classes: readonly ExcludedClass[], today: string, fn: () => Promise<T>): Promise<T> {
  const added = await addExcludedData(env.db, { profile, facts: env.facts, classes, today, round: ++round });
  try {
    return await fn();
  } finally {
    await added.remove();
  }
}

/** Each class alone, against a fresh base (free text, changed and not restored, goes last). */
async function attribute(env: NonInterferenceEnvironment, r: Runnable, today: string, together: string[]): Promise<Leak[]> {
  const classes = classesFor(r.profile);
  const fresh = await deliver(r.side, r.definition.id);
  const leaks: Leak[] = [];
  for (const c of [...classes.filter((x) => x !== 'free-text'), ...classes.filter((x) => x === 'free-text')]) {
    const variant = await withExcludedData(env, r.profile, [c], today, () => deliver(r.side, r.definition.id));
    const found = differences(fresh, variant);
    if (found.length > 0) leaks.push({ class: c, differences: found });
  }
  return leaks.length > 0 ? leaks : [{ class: 'all classes together', differences: together }];
}

/** A verdict as text for an assertion message. */
export function describeVerdict(name: string, verdict: Verdict): string {
  if (verdict.kind === 'refused') return `${name}: refused by lint (${verdict.errors.join('; ')})`;
  if (verdict.kind === 'held') return `${name}: identical with and without excluded data`;
  return `${name}: excluded data changed the delivery:\n${verdict.leaks.map((l) => `  ${l.class}:\n${l.differences.map((d) => `    ${d}`).join('\n')}`).join('\n')}`;
}
