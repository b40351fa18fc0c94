import type { Session } from '../db/database.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import { bindParameters, type RunValues } from '../sql/bind-parameters.js';
import { queryBound } from '../execute/copy-sql.js';
import type { CompiledPlan, CompiledQuery } from '../sql/compile-extract.js';
import type { Identification } from './quasi-identifiers.js';

export interface DisclosureCheck {
  dataset: string;
  identification: Identification;
  quasiIdentifiers: string[];
  /** The smallest group of patients sharing one combination of the quasi-identifiers (null: no rows). */
  k: number | null;
  groups: number;
  threshold: number;
  outcome: 'pass' | 'fail' | 'warn' | 'not applicable';
  note: string;
}

/** The measurement of datasets linked by a linkage key, as the one table they make (the mosaic effect). */
export interface LinkedDisclosureCheck {
  datasets: string[];
  /** What links them. */
  links: string[];
  /** dataset.field of every quasi-identifier combined. */
  quasiIdentifiers: string[];
  /** The smallest group of patients sharing one combined signature (null: no rows). */
  k: number | null;
  groups: number;
  threshold: number;
  outcome: 'pass' | 'fail' | 'not applicable';
  note: string;
}

/** How the plan carries a linked group: its datasets, links, combined quasi-identifiers and query. */
export interface CompiledLinkedDisclosure {
  datasets: string[];
  links: string[];
  quasiIdentifiers: string[];
  kAnonymity: CompiledQuery;
  /** Joined on the values they share rather than on a patient (sharedFieldPairs): no rows means no row joins exactly. */
  sharedValues?: true;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function measure(session: Session, plan: CompiledPlan, query: CompiledQuery, values: RunValues): Promise<{ k: number | null; groups: number }> {
  const [row] = await queryBound<{ k: string | null; groups: string }>(session, query.sql, bindParameters(plan, query, values));
  return { k: row?.k === null || row?.k === undefined ? null : Number(row.k), groups: Number(row?.groups ?? 0) };
}

/**
 * k-anonymity on the data, before anything is written, for each dataset. In indirect care a
 * de-identified dataset (no direct identifier, no linkage key) below the policy's threshold fails
 * the run, as linked sets do. A pseudonymised dataset below it is warned about and its k recorded
 * (personal data under the definition's legal basis and DPIA, whose singling-out statement
 * answers for it), unless the policy says thresholds.pseudonymised_below_k: refuse — a pseudonym
 * names nobody, but the rows beside it single people out all the same. A dataset that identifies
 * patients (a direct identifier) is not measured: every group is one patient. Direct care
 * identifies patients on purpose.
 */
export async function disclosureChecks(
  session: Session,
  plan: CompiledPlan,
  definition: ExtractDefinition,
  values: RunValues,
  threshold: number,
  pseudonymisedBelowK: 'refuse' | 'warn' = 'refuse',
): Promise<DisclosureCheck[]> {
  const checks: DisclosureCheck[] = [];
  for (const dataset of plan.datasets) {
    const d = dataset.disclosure;
    const check: DisclosureCheck = { dataset: dataset.name, identification: d.identification, quasiIdentifiers: d.quasiIdentifiers, k: null, groups: 0, threshold, outcome: 'not applicable', note: '' };
    if (!d.kAnonymity) {
      check.note = `dataset ${dataset.name} has no quasi-identifiers and no patients`;
      checks.push(check);
      continue;
    }
    if (d.quasiIdentifiers.length === 0 && definition.careType === 'direct') {
      // One group of every patient the rows are of; direct care passes whatever it is.
      check.note = `dataset ${dataset.name} has no quasi-identifiers (direct care): not measured`;
      checks.push(check);
      continue;
    }
    if (d.identification === 'identified') {
      // A direct identifier makes every group a single patient: there is nothing to measure.
      check.note = `dataset ${dataset.name} identifies patients by design (${definition.careType} care): k-anonymity does not apply`;
      checks.push(check);
      continue;
    }
    Object.assign(check, await measure(session, plan, d.kAnonymity, values));
    // Without quasi-identifiers the dataset is one group: all its rows are of its k patients.
    const grouped = d.quasiIdentifiers.length > 0;
    const combination = d.quasiIdentifiers.join(' + ');
    const alone = (k: number) =>
      grouped ? `${plural(k, 'patient')} alone share a combination of ${combination}` : `all its rows are of ${plural(k, 'patient')} (it has no quasi-identifiers, but its filter narrows it to them)`;
    if (check.k === null || check.k >= threshold) {
      check.outcome = 'pass';
      check.note =
        check.k === null
          ? `dataset ${dataset.name} has no rows`
          : grouped
            ? `dataset ${dataset.name}: at least ${check.k} patients share each combination of ${combination}`
            : `dataset ${dataset.name}: no quasi-identifiers, and its rows are of ${check.k} patients`;
    } else if (definition.careType === 'direct') {
      check.outcome = 'pass';
      check.note = `dataset ${dataset.name} identifies patients by design (direct care): smallest group ${check.k}`;
    } else if (d.identification === 'de-identified') {
      check.outcome = 'fail';
      check.note = `dataset ${dataset.name}: ${alone(check.k)}, below the policy's k of ${threshold}: they could be singled out`;
    } else if (pseudonymisedBelowK === 'refuse') {
      check.outcome = 'fail';
      check.note = `dataset ${dataset.name} (${d.identification}): ${alone(check.k)}, below the policy's k of ${threshold}: they could be singled out, and the pseudonym then tells the recipient every other row of theirs`;
    } else {
      check.outcome = 'warn';
      check.note = grouped
        ? `dataset ${dataset.name} (${d.identification}): the smallest group sharing ${combination} has ${plural(check.k, 'patient')}, below ${threshold}; the data are personal data under the definition's legal basis and DPIA`
        : `dataset ${dataset.name} (${d.identification}): ${alone(check.k)}, below ${threshold}; the data are personal data under the definition's legal basis and DPIA`;
    }
    checks.push(check);
  }
  return checks;
}

/**
 * k-anonymity of each group of linked datasets, measured on their combined quasi-identifiers. In
 * indirect care a combination below the threshold fails the run, whether or not each dataset
 * alone passes: the recipient joins them on the linkage key, and the join singles people out
 * (the pseudonym that makes each dataset "pseudonymised" is exactly what makes the join). A group
 * with a dataset that identifies patients by design is not measured (every group is one patient).
 */
export async function linkedDisclosureChecks(session: Session, plan: CompiledPlan, definition: ExtractDefinition, values: RunValues, threshold: number): Promise<LinkedDisclosureCheck[]> {
  const checks: LinkedDisclosureCheck[] = [];
  for (const linked of plan.linkedDisclosure ?? []) {
    const names = linked.datasets.join(' + ');
    const check: LinkedDisclosureCheck = { datasets: linked.datasets, links: linked.links, quasiIdentifiers: linked.quasiIdentifiers, k: null, groups: 0, threshold, outcome: 'not applicable', note: '' };
    const identified = linked.datasets.filter((name) => plan.datasets.find((d) => d.name === name)?.disclosure.identification === 'identified');
    if (identified.length > 0) {
      check.note = `linked datasets ${names}: ${identified.join(', ')} identif${identified.length === 1 ? 'ies' : 'y'} patients by design (${definition.careType} care): k-anonymity does not apply`;
      checks.push(check);
      continue;
    }
    Object.assign(check, await measure(session, plan, linked.kAnonymity, values));
    const combination = linked.quasiIdentifiers.join(' + ');
    if (check.k === null || check.k >= threshold) {
      check.outcome = 'pass';
      check.note =
        check.k === null
          ? linked.sharedValues
            ? `datasets ${names} share values, but no row of one joins exactly one row of the other on them`
            : `linked datasets ${names} have no rows`
          : `linked datasets ${names} (${linked.links.join('; ')}): at least ${check.k} patients share each combination of ${combination}`;
    } else if (definition.careType === 'direct') {
      check.outcome = 'pass';
      check.note = `linked datasets ${names} identify patients by design (direct care): smallest group ${check.k}`;
    } else {
      check.outcome = 'fail';
      check.note = `datasets ${names} are linked (${linked.links.join('; ')}): joined, ${plural(check.k, 'patient')} alone share a combination of ${combination}, below the policy's k of ${threshold}: they could be singled out`;
    }
    checks.push(check);
  }
  return checks;
}
