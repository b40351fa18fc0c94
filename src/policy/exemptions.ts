import type { Exemption, ExtractDefinition, Field } from '../ir/extract-definition.js';
import { citedCondition, type Article } from './legal-basis.js';
import { neverExemptable, type Policy, type RuleCatalogue } from './policy.js';
import { hasInvisibleCharacters, justificationProblem, referenceProblem } from './reference-text.js';
import { RULES } from './rules/index.js';

/**
 * Why an exemption is not valid (empty when it is). A valid exemption:
 * - names a rule the policy lets exemptions waive (`exemptable`), which is never a hard rule nor
 *   a governance, use case, schedule, justification, identifier or exemption rule;
 * - from sensitive-codes, names one of the policy's sets that the policy lets be released;
 * - gives a legal basis: an Article 6 and an Article 9 condition from the closed lists
 *   (legal-basis.ts) and the reference of a statutory notice or an approval (s251 support), a
 *   notice when the policy requires one (type1-opt-out);
 * - gives a justification that says something;
 * - expires, not before today and not further ahead than the policy allows;
 * - has a scope: datasets of this definition and, optionally, fields of those datasets (from
 *   type1-opt-out, which changes the population every dataset reads: every dataset, no fields).
 *
 * Each problem says where it is (`at`, a JSON pointer below the exemption); a missing value is
 * reported at the nearest written parent.
 */
export function exemptionProblems(exemption: Exemption, definition: ExtractDefinition, policy: Policy, today: string): ExemptionProblem[] {
  const problems: ExemptionProblem[] = [];
  const add = (kind: ExemptionProblemKind, at: string, params: Record<string, string> = {}) => problems.push({ kind, at, params });

  const rule = RULES.find((r) => r.meta.id === exemption.rule);
  const allowed = policy.exemptable.find((e) => e.rule === exemption.rule);
  if (!rule) add('unknown-rule', 'rule');
  else if (rule.meta.hard) add('hard-rule', 'rule');
  else if (!allowed) add('not-exemptable', 'rule', { why: neverExemptable(exemption.rule, RULE_CATALOGUE) ?? 'the policy does not list it under exemptable' });

  if (exemption.rule === 'sensitive-codes') {
    if (exemption.codeSet === undefined) add('no-code-set', 'rule');
    else if (!policy.sensitiveCodeSets.some((s) => s.name === exemption.codeSet)) add('unknown-code-set', 'code_set');
    else if (allowed?.codeSets && !allowed.codeSets.includes(exemption.codeSet)) add('code-set-not-exemptable', 'code_set');
  } else if (exemption.codeSet !== undefined) add('code-set-other-rule', 'code_set');

  legalBasisProblems(exemption, allowed?.reference ?? 'any', policy, add);

  if (exemption.justification === undefined || !exemption.justification.trim()) add('no-justification', 'rule');
  else {
    const problem = justificationProblem(exemption.justification, policy);
    if (problem) add(problem === 'invisible' ? 'invisible-text' : 'placeholder-justification', 'justification', { what: 'justification' });
  }

  if (exemption.expires === undefined) add('no-expiry', 'rule');
  else if (!isCalendarDate(exemption.expires)) add('invalid-expiry', 'expires');
  else if (exemption.expires < today) add('expired', 'expires');
  else {
    const latest = addMonths(today, policy.thresholds.exemptionMaxMonths);
    if (exemption.expires > latest) add('expiry-too-far', 'expires', { latest, months: String(policy.thresholds.exemptionMaxMonths) });
  }

  scopeProblems(exemption, definition, add);
  return problems;
}

function legalBasisProblems(exemption: Exemption, reference: 'notice' | 'any', policy: Policy, add: (kind: ExemptionProblemKind, at: string, params?: Record<string, string>) => void): void {
  const basis = exemption.legalBasis;
  if (!basis) {
    add('no-legal-basis', 'rule');
    return;
  }
  for (const article of [6, 9] as Article[]) {
    const text = article === 6 ? basis.article6 : basis.article9;
    const key = `legal_basis/article_${article}`;
    if (text === undefined || !text.trim()) add(article === 6 ? 'no-article-6' : 'no-article-9', 'legal_basis');
    else if (hasInvisibleCharacters(text)) add('invisible-text', key, { what: `Article ${article} condition` });
    else if (!citedCondition(article, text)) add(article === 6 ? 'unknown-article-6' : 'unknown-article-9', key, { text });
  }
  const cited = [
    ['notice', basis.notice],
    ['approval', basis.approval],
  ].filter((c): c is [string, string] => c[1] !== undefined);
  if (cited.length === 0) add(reference === 'notice' ? 'needs-notice' : 'no-reference', 'legal_basis');
  else if (reference === 'notice' && basis.notice === undefined) add('needs-notice', 'legal_basis/approval');
  for (const [key, text] of cited) {
    if (reference === 'notice' && key !== 'notice') continue;
    const problem = referenceProblem(text, policy);
    if (problem) add(problem === 'invisible' ? 'invisible-text' : 'placeholder-reference', `legal_basis/${key}`, { text, what: key === 'notice' ? 'notice reference' : 'approval reference' });
  }
}

function scopeProblems(exemption: Exemption, definition: ExtractDefinition, add: (kind: ExemptionProblemKind, at: string, params?: Record<string, string>) => void): void {
  const names = definition.datasets.map((d) => d.name);
  const datasets = exemption.datasets ?? [];
  if (datasets.length === 0) add('no-datasets', 'rule');
  datasets.forEach((name, i) => {
    if (!names.includes(name)) add('unknown-dataset', `datasets/${i}`, { name });
  });
  exemption.fields?.forEach((name, i) => {
    const dot = name.indexOf('.');
    const dataset = definition.datasets.find((d) => d.name === name.slice(0, dot));
    const field = dot < 0 || !dataset ? undefined : dataset.fields.find((f) => f.name === name.slice(dot + 1));
    if (!dataset || !field) add('unknown-field', `fields/${i}`, { name });
    else if (!datasets.includes(dataset.name)) add('field-outside-scope', `fields/${i}`, { name, dataset: dataset.name });
    // The compiler releases a set only on the coded columns of the dataset's own table that the
    // named fields read (releasesByDataset): a field that reads none releases nothing, so saying
    // it is exempted would not be what the run does.
    else if (exemption.rule === 'sensitive-codes' && !readsOwnCodedColumn(field)) add('field-not-coded', `fields/${i}`, { name, dataset: dataset.name });
  });
  // The Type 1 override changes who is in the population, and every dataset reads the population.
  if (exemption.rule === 'type1-opt-out') {
    const missing = names.filter((n) => !datasets.includes(n));
    if (datasets.length > 0 && missing.length > 0) add('population-wide', 'datasets', { missing: missing.join(', ') });
    if (exemption.fields) add('fields-not-allowed', 'fields');
  }
}

/**
 * Whether a field reads a coded column of its dataset's own table: the only place where a release
 * of a sensitive set can show in a field (src/sql/compile-extract.ts releasesByDataset).
 */
export function readsOwnCodedColumn(field: Field): boolean {
  return field.sources.some((s) => s.path.length === 0 && s.codeSystem !== undefined);
}

export type ExemptionProblemKind =
  | 'unknown-rule'
  | 'hard-rule'
  | 'not-exemptable'
  | 'no-code-set'
  | 'unknown-code-set'
  | 'code-set-not-exemptable'
  | 'code-set-other-rule'
  | 'no-legal-basis'
  | 'no-article-6'
  | 'no-article-9'
  | 'unknown-article-6'
  | 'unknown-article-9'
  | 'no-reference'
  | 'needs-notice'
  | 'placeholder-reference'
  | 'invisible-text'
  | 'no-justification'
  | 'placeholder-justification'
  | 'no-expiry'
  | 'expired'
  | 'invalid-expiry'
  | 'expiry-too-far'
  | 'no-datasets'
  | 'unknown-dataset'
  | 'unknown-field'
  | 'field-outside-scope'
  | 'field-not-coded'
  | 'population-wide'
  | 'fields-not-allowed';

export interface ExemptionProblem {
  kind: ExemptionProblemKind;
  /** Where, as a JSON pointer below the exemption (`rule`, `legal_basis/article_6`, `datasets/1`). */
  at: string;
  params: Record<string, string>;
}

/** The rules as the policy sees them (built on use: the rules module imports this one). */
const RULE_CATALOGUE: RuleCatalogue = {
  get ids() {
    return RULES.map((r) => r.meta.id);
  },
  isHard: (id) => RULES.some((r) => r.meta.id === id && r.meta.hard),
  category: (id) => RULES.find((r) => r.meta.id === id)?.meta.category,
};

/** Whether YYYY-MM-DD names a day that exists (not 2027-02-30). */
function isCalendarDate(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** YYYY-MM-DD `months` months after `date` (the last day of the month when it is shorter). */
function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The exemptions of a definition that are valid today. */
export function validExemptions(definition: ExtractDefinition, policy: Policy, today: string): Exemption[] {
  return definition.exemptions.filter((e) => exemptionProblems(e, definition, policy, today).length === 0);
}

/** A sensitive set a valid exemption lets through, and where: only in these datasets (and, when named, fields). */
export interface ReleasedSet {
  set: string;
  datasets: string[];
  fields?: string[];
}

/**
 * The sensitive sets the definition's valid exemptions release, each with its scope. The compiler
 * lifts a set's guard only inside that scope; everywhere else (the population, other datasets) the
 * set stays excluded.
 */
export function releasedSensitiveSets(definition: ExtractDefinition, policy: Policy, today: string): ReleasedSet[] {
  return validExemptions(definition, policy, today)
    .filter((e) => e.rule === 'sensitive-codes')
    .map((e) => ({
      set: e.codeSet!,
      datasets: [...e.datasets!],
      ...(e.fields ? { fields: [...e.fields] } : {}),
    }));
}
