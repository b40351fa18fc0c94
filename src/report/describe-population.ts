import { findTable, type Catalogue } from '../catalogue/catalogue.js';
import type { Dataset, ExtractDefinition } from '../ir/extract-definition.js';
import { releasedSensitiveSets } from '../policy/exemptions.js';
import type { Policy } from '../policy/policy.js';
import { describeCondition, listAnd, listOr } from './english-expression.js';

/** One population choice a definition makes, with the justification it gives. */
export interface PopulationChoice {
  topic: string;
  choice: string;
  /** The policy's default, or a departure from it that needs a justification. */
  departsFromDefault: boolean;
  justification?: string;
}

/**
 * Who is in the population, as one English sentence: "Patients currently and permanently
 * registered at A81001 or A81002, aged under 20 on the extract date; deceased patients,
 * PDS-sensitive patients and patients with a Type 1 opt-out are excluded."
 */
export function describePopulation(definition: ExtractDefinition, catalogue: Catalogue): string {
  const p = definition.population;
  const registered = p.registration === 'permanent' ? 'currently and permanently registered' : 'currently registered (any type of registration)';
  const filter = p.where ? `, ${describeCondition(p.where, catalogue)}` : '';
  const excluded: string[] = [];
  if (p.deceased === 'exclude') excluded.push('deceased patients');
  excluded.push('PDS-sensitive patients');
  const optOuts: string[] = [];
  if (p.type1OptOut === 'respect') optOuts.push('a Type 1 opt-out');
  if (p.nationalDataOptOut === 'respect') optOuts.push('a National Data Opt-out');
  if (optOuts.length > 0) excluded.push(`patients with ${listOr(optOuts)}`);
  const included: string[] = [];
  if (p.deceased === 'include') included.push('deceased patients are included');
  if (p.type1OptOut === 'override') included.push('Type 1 opt-outs are overridden');
  const tail = included.length > 0 ? `; ${listAnd(included)}` : '';
  return `Patients ${registered} at ${listOr(p.practices)}${filter}; ${listAnd(excluded)} are excluded${tail}.`;
}

/** The rows of a dataset, in English: "Observations of patients in the population, coded as ...". */
export function describeDatasetRows(dataset: Dataset, catalogue: Catalogue): string {
  const table = findTable(catalogue, dataset.table);
  const things = plural(dataset.table.replace(/_/g, ' '));
  const whose = dataset.table === catalogue.population.patient.table ? `${capitalise(things)} in the population` : table?.patientColumn !== undefined ? `${capitalise(things)} of patients in the population` : `${capitalise(things)} in scope (the practices of the definition)`;
  return `${whose}${dataset.where ? `, ${describeCondition(dataset.where, catalogue)}` : ''}.`;
}

/** The registration, deceased, opt-out and opt-back-in choices, each with its justification. */
export function populationChoices(definition: ExtractDefinition): PopulationChoice[] {
  const p = definition.population;
  const withJustification = (choice: Omit<PopulationChoice, 'justification'>, justification: string | undefined): PopulationChoice => (justification ? { ...choice, justification } : choice);
  return [
    withJustification(
      {
        topic: 'Registration',
        choice: p.registration === 'permanent' ? 'permanent registrations only' : 'every type of registration (temporary, emergency and immediately-necessary as well as permanent)',
        departsFromDefault: p.registration !== 'permanent',
      },
      p.registrationJustification,
    ),
    withJustification({ topic: 'Deceased patients', choice: p.deceased === 'exclude' ? 'excluded' : 'included', departsFromDefault: p.deceased !== 'exclude' }, p.deceasedJustification),
    withJustification(
      { topic: 'Type 1 opt-out', choice: p.type1OptOut === 'respect' ? 'respected: patients who opted out are left out' : 'overridden: patients who opted out are included', departsFromDefault: p.type1OptOut !== 'respect' },
      p.type1OptOutJustification,
    ),
    withJustification(
      {
        topic: 'National Data Opt-out',
        choice: p.nationalDataOptOut === 'respect' ? 'respected: patients who opted out are left out' : 'not applicable to this use',
        departsFromDefault: definition.careType === 'indirect' && p.nationalDataOptOut !== 'respect',
      },
      p.nationalDataOptOutJustification,
    ),
    {
      topic: 'Patients who opt back in',
      choice: p.onOptBackIn === 'backfill' ? 'their history is sent again (backfill)' : 'only their changes from then on are sent (no backfill)',
      departsFromDefault: false,
    },
    {
      topic: 'Patients who leave the population',
      choice:
        p.onLeave === 'keep'
          ? 'never sent again; the recipient keeps their rows as last sent (keep)'
          : 'never sent again, and the recipient is told to delete their rows (delete)',
      departsFromDefault: p.onLeave === 'keep',
    },
  ];
}

/**
 * The safeguards the compiler builds into every query whatever the definition says (see
 * src/sql/guards.ts and src/sql/population.ts): a reviewer need not look for them in the filters.
 */
export function alwaysAppliedGuards(definition: ExtractDefinition, policy: Policy, today: string): string[] {
  const released = releasedSensitiveSets(definition, policy, today);
  const guarded = policy.sensitiveCodeSets.filter((s) => !released.some((r) => r.set === s.name));
  const guards = [
    'Only a registration current on the extract date counts: patients who have left, and registrations that ended, never do.',
    'PDS-sensitive patients are never extracted (a hard rule: no exemption can lift it).',
    `Soft-deleted rows are never extracted${definition.mode === 'delta' ? ' (in a delta run, a row deleted since the last run is sent as a deletion with no values)' : ''}.`,
    'Items marked confidential from third parties are never extracted, nor items recorded inside a confidential consultation; an unknown confidentiality flag excludes the row.',
    guarded.length > 0
      ? `Sensitive codes are excluded from every coded column of every table the queries read, whatever the filters ask for: ${listAnd(guarded.map((s) => lowerFirst(s.title)))}.`
      : 'Every sensitive code set of the policy is released by an exemption somewhere in the extract; outside each exemption\'s scope it is excluded.',
  ];
  for (const r of released) {
    const title = policy.sensitiveCodeSets.find((s) => s.name === r.set)?.title ?? r.set;
    guards.push(
      `${title} codes are released by a valid exemption only in ${listAnd(r.datasets)}${r.fields ? ` (fields ${listAnd(r.fields)})` : ''}; everywhere else, the population included, they are excluded.`,
    );
  }
  return guards;
}

function plural(noun: string): string {
  return noun.endsWith('s') ? noun : `${noun}s`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Gender reassignment" → "gender reassignment", but "HIV status" stays. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}
