import type { ExtractDefinition, Population } from '../ir/extract-definition.js';
import { sameMeaning } from './canonical-key.js';
import { compareConditions } from './compare-conditions.js';
import { setOptional, values } from './diff-governance.js';
import type { DraftChange } from './draft-change.js';
import { printIrExpression } from './print-ir-expression.js';

type Choice = 'registration' | 'deceased' | 'type1OptOut' | 'nationalDataOptOut' | 'onOptBackIn' | 'onLeave';

/** Each population choice, its YAML key, and the value that admits more patients or more data. */
const CHOICES: { key: Choice; path: string; wider: string; widened: string; narrowed: string }[] = [
  { key: 'registration', path: 'population.registration', wider: 'all', widened: 'every type of registration is included (temporary, emergency and immediately-necessary as well as permanent)', narrowed: 'only permanent registrations are included' },
  { key: 'deceased', path: 'population.deceased', wider: 'include', widened: 'deceased patients are included', narrowed: 'deceased patients are left out' },
  { key: 'type1OptOut', path: 'population.type1_opt_out', wider: 'override', widened: 'patients with a Type 1 opt-out are no longer left out', narrowed: 'Type 1 opt-outs are respected' },
  {
    key: 'nationalDataOptOut',
    path: 'population.national_data_opt_out',
    wider: 'not_applicable',
    widened: 'patients with a national data opt-out are no longer left out',
    narrowed: 'national data opt-outs are respected',
  },
  { key: 'onOptBackIn', path: 'population.on_opt_back_in', wider: 'backfill', widened: 'a patient who opts back in has their history sent', narrowed: 'a patient who opts back in is sent from then on only' },
  {
    key: 'onLeave',
    path: 'population.on_leave',
    wider: 'keep',
    widened: 'the recipient keeps the rows of a patient who leaves the population (as last sent)',
    narrowed: 'the recipient is told to delete the rows of a patient who leaves the population',
  },
];

const JUSTIFICATIONS: { key: keyof Population & `${string}Justification`; path: string }[] = [
  { key: 'registrationJustification', path: 'population.registration_justification' },
  { key: 'deceasedJustification', path: 'population.deceased_justification' },
  { key: 'type1OptOutJustification', path: 'population.type1_opt_out_justification' },
  { key: 'nationalDataOptOutJustification', path: 'population.national_data_opt_out_justification' },
];

/** Changes to who is in the extract: the population choices, the practices and the filter. */
export function diffPopulation(before: ExtractDefinition, after: ExtractDefinition): DraftChange[] {
  const changes: DraftChange[] = [];
  const [b, a] = [before.population, after.population];
  for (const choice of CHOICES) {
    if (b[choice.key] === a[choice.key]) continue;
    const widened = a[choice.key] === choice.wider;
    changes.push({
      kind: widened ? 'population-widened' : 'population-narrowed',
      path: choice.path,
      before: b[choice.key],
      after: a[choice.key],
      explanation: widened ? choice.widened : choice.narrowed,
      review: widened,
      apply: (d) => ((d.population as unknown as Record<Choice, string>)[choice.key] = a[choice.key]),
    });
  }

  const added = a.practices.filter((p) => !b.practices.includes(p));
  const removed = b.practices.filter((p) => !a.practices.includes(p));
  const list = (ps: string[]) => ps.join(', ');
  if (added.length > 0) {
    changes.push({
      kind: 'practices-added',
      path: 'population.practices',
      before: list(b.practices),
      after: list(a.practices),
      explanation: `${count(added.length, 'more practice')} in scope: ${list(added)}`,
      review: true,
      apply: (d) => d.population.practices.push(...added),
    });
  }
  if (removed.length > 0) {
    changes.push({
      kind: 'practices-removed',
      path: 'population.practices',
      before: list(b.practices),
      after: list(a.practices),
      explanation: `${count(removed.length, 'practice')} no longer in scope: ${list(removed)}`,
      review: false,
      apply: (d) => (d.population.practices = d.population.practices.filter((p) => !removed.includes(p))),
    });
  }
  if (added.length === 0 && removed.length === 0 && list(b.practices) !== list(a.practices)) {
    changes.push({
      kind: 'practices-reordered',
      path: 'population.practices',
      before: list(b.practices),
      after: list(a.practices),
      explanation: 'the same practices, listed in another order',
      review: false,
      apply: (d) => (d.population.practices = [...a.practices]),
    });
  }

  if (!sameMeaning(b.where, a.where)) {
    const relation = compareConditions(b.where, a.where);
    const where = { path: 'population.where', ...values(b.where && printIrExpression(b.where), a.where && printIrExpression(a.where)), apply: (d: ExtractDefinition) => setOptional(d.population, 'where', a.where) };
    if (relation === 'wider') {
      changes.push({ kind: 'population-widened', ...where, explanation: a.where ? 'the population filter admits more patients' : 'the population filter is removed: every registered patient is in scope', review: true });
    } else if (relation === 'narrower') {
      changes.push({ kind: 'population-narrowed', ...where, explanation: b.where ? 'the population filter admits fewer patients' : 'a population filter is added', review: false });
    } else if (relation === 'same') {
      changes.push({ kind: 'population-filter-rewritten', ...where, explanation: 'the population filter is written differently but admits the same patients', review: false });
    } else {
      changes.push({ kind: 'population-changed', ...where, explanation: 'the population filter changed in a way exdef cannot tell is narrower, so it may admit more patients', review: true });
    }
  }

  for (const { key, path } of JUSTIFICATIONS) {
    if (b[key] === a[key]) continue;
    changes.push({
      kind: 'justification-changed',
      path,
      ...values(b[key], a[key]),
      explanation: `justification ${b[key] === undefined ? 'added' : a[key] === undefined ? 'removed' : 'edited'}; it does not change who is in the extract`,
      review: false,
      apply: (d) => setOptional(d.population, key, a[key]),
    });
  }
  return changes;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
