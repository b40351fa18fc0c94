import type { Classification } from '../catalogue/catalogue.js';
import type { ChangeClass } from '../diff/change.js';
import type { DisclosureCheck, LinkedDisclosureCheck } from '../disclosure/disclosure-checks.js';
import type { ReviewReport } from './review-report.js';

/**
 * The words both renderers share (HTML and Markdown say the same): section titles, the
 * classification legend, the verdict line, the k outcome.
 */
export const SECTIONS = {
  findings: 'Findings',
  changes: 'Changes since the previous version',
  governance: 'Purpose and governance',
  approvals: "Practices' approvals",
  population: 'Population',
  datasets: 'Datasets and fields',
  disclosure: 'Disclosure risk',
  sql: 'The exact SQL',
} as const;

export const CLASSIFICATION_LEGEND: Record<Classification, string> = {
  direct_identifier: 'identifies a person on its own (NHS number, name, address, phone)',
  quasi_identifier: 'identifies in combination with others (date of birth, postcode, sex)',
  clinical: 'clinical content (codes, dates, values)',
  administrative: 'about the practice or the service, not the person',
  free_text: 'free text: never extractable',
  document: 'a document: never extractable',
  control: 'a policy flag: never selectable',
  system: 'an internal key or timestamp',
};

export const CLASSIFICATION_ORDER: readonly Classification[] = ['direct_identifier', 'quasi_identifier', 'clinical', 'administrative', 'free_text', 'document', 'control', 'system'];

export const CHANGE_TITLE: Record<ChangeClass, string> = {
  'needs-ig-review': 'Needs IG review',
  'needs-new-baseline': 'Needs a new baseline (the next run is a full extract)',
  'no-effect': 'No effect on the data',
};

export function classificationWord(c: Classification): string {
  return c.replace(/_/g, ' ');
}

/** "2 errors, 1 warning, 3 notes". */
export function findingCounts(report: ReviewReport): string {
  const c = report.findings.counts;
  const part = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return `${part(c.error, 'error', 'errors')}, ${part(c.warning, 'warning', 'warnings')}, ${part(c.info, 'note', 'notes')}`;
}

/** What the findings mean for the reviewer's decision, in one sentence. */
export function verdict(report: ReviewReport): string {
  const c = report.findings.counts;
  if (c.error > 0) return `This definition has ${c.error} lint error${c.error === 1 ? '' : 's'}: as written it cannot be compiled or run.`;
  if (c.warning > 0) return `This definition lints without errors, with ${c.warning} warning${c.warning === 1 ? '' : 's'} to weigh.`;
  return 'This definition lints clean: no errors and no warnings.';
}

/**
 * When --previous names another extract (another id), the changes are between two extracts, not
 * two versions of one: said first, before any change, so nobody approves a version history that
 * is not one.
 */
export function differentExtractWarning(report: ReviewReport): string | undefined {
  const previous = report.diff?.old?.id;
  if (previous === undefined || previous === report.identity.id) return undefined;
  return `A different extract was compared: the previous version given is ${previous}, this definition is ${report.identity.id}. The changes below are between two different extracts, not two versions of this one; compare it with the approved version of ${report.identity.id}.`;
}

/** The measured k of a dataset, in words, for a table cell. */
export function measuredText(check: DisclosureCheck | LinkedDisclosureCheck | undefined): string {
  if (!check) return 'not measured';
  if (check.outcome === 'not applicable') return `not applicable: ${check.note}`;
  if (check.k === null) return 'no rows on that date';
  const outcome = check.outcome === 'pass' ? 'passes' : check.outcome === 'warn' ? 'below the threshold: warned about' : 'below the threshold: the run would fail';
  return `k = ${check.k} (${check.groups} group${check.groups === 1 ? '' : 's'}; threshold ${check.threshold}): ${outcome}`;
}

export function expectedGroup(size: number): string {
  return size >= 10 ? Math.round(size).toLocaleString('en-GB') : size.toPrecision(2);
}

export const IDENTIFICATION_TEXT: Record<'identified' | 'pseudonymised' | 'de-identified', string> = {
  identified: 'identified (a direct identifier is sent)',
  pseudonymised: 'pseudonymised (a keyed pseudonym links rows; no direct identifier)',
  'de-identified': 'de-identified (no direct identifier, no pseudonym)',
};
