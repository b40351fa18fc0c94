import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY_ASSET, readPrebuilt, sourceDigest } from '../assets/prebuilt.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { Ecl } from '../ir/expression.js';
import { parseEclText } from '../parse/parse-ecl.js';
import { resolveEcl } from '../resolve/resolve-expression.js';
import { resources } from '../resources.js';
import { validateYamlAgainstSchema } from '../source/schema-validation.js';
import { sourceFile, spanOf, type Span } from '../source/source-file.js';
import { nodeAtPath, parseYamlSource, spanAtPath } from '../source/yaml-source.js';
import { scalarOffsets } from '../source/yaml-scalar-offsets.js';
import { isScalar } from 'yaml';

/**
 * Rules that are not hard (the IM1 policy lets an exemption lift a finding, with its legal basis,
 * or they are judged) but protect the people in the data: an organisation's policy file may raise
 * them, never lower them. Without this, `type1-opt-out: off` would do with no notice what an
 * exemption of it may do only under one.
 */
const PROTECTED_RULES: ReadonlySet<string> = new Set(['sensitive-codes', 'type1-opt-out', 'national-data-opt-out', 'direct-identifiers-need-basis', 'generalise-quasi-identifiers']);

export const policyCodes = defineCodes({
  'policy-unreadable': {
    severity: 'error',
    stage: 'policy',
    message: (p: { path: string; reason: string }) => `cannot read policy ${p.path}: ${p.reason}`,
  },
  'policy-hard-rule-lowered': {
    severity: 'error',
    stage: 'policy',
    message: (p: { rule: string; severity: string }) => `\`${p.rule}\` is a hard rule: it is always an error and a policy cannot make it ${p.severity}`,
  },
  'policy-protected-rule-lowered': {
    severity: 'error',
    stage: 'policy',
    message: (p: { rule: string; severity: string }) =>
      `\`${p.rule}\` protects the people in the data as the IM1 policy requires: an organisation's policy cannot make it ${p.severity} (where the IM1 policy allows it, an exemption with its legal basis lifts a finding, and the report shows it)`,
  },
  'policy-threshold-widened': {
    severity: 'error',
    stage: 'policy',
    message: (p: { threshold: string; value: string; limit: string }) => `thresholds.${p.threshold}: ${p.value} would widen what the IM1 policy allows (${p.limit}): an organisation's policy can only narrow it`,
  },
  'policy-unknown-rule': {
    severity: 'error',
    stage: 'policy',
    message: (p: { rule: string; suggestion: string }) => `\`${p.rule}\` is not a rule${p.suggestion}`,
  },
  'policy-exemptable-forbidden': {
    severity: 'error',
    stage: 'policy',
    message: (p: { rule: string; why: string }) => `\`${p.rule}\` cannot be made exemptable: ${p.why}`,
  },
  'policy-exemptable-widened': {
    severity: 'error',
    stage: 'policy',
    message: (p: { what: string }) => `an organisation's policy can only narrow what exemptions may touch: ${p.what}`,
  },
  'policy-exemptable-code-sets': {
    severity: 'error',
    stage: 'policy',
    message: (p: { rule: string; set?: string }) =>
      p.set === undefined ? `code_sets applies to sensitive-codes only, not \`${p.rule}\`` : `\`${p.set}\` is not a sensitive code set of the policy`,
  },
  'policy-redefines-set': {
    severity: 'error',
    stage: 'policy',
    message: (p: { name: string }) => `the code set \`${p.name}\` is part of the IM1 policy and cannot be changed or replaced; add a set with another name`,
  },
});

export interface SensitiveCodeSet {
  name: string;
  title: string;
  source?: string;
  /** The ECL as written. */
  text: string;
  ecl: Ecl;
  /** Part of the default (IM1) policy, as opposed to an organisation's addition. */
  builtIn: boolean;
}

export interface Thresholds {
  reviewMonths: number;
  kAnonymity: number;
  /**
   * What the run does with a pseudonymised dataset measured below kAnonymity in indirect care:
   * refuse it, as a de-identified one and a linked set are (the default), or only warn (a
   * policy's deliberate choice: the pseudonymised data are personal data under the definition's
   * legal basis and DPIA).
   */
  pseudonymisedBelowK: 'refuse' | 'warn';
  assumedListSize: number;
  overnightStart: string;
  overnightEnd: string;
  justificationMinLength: number;
  justificationMaxRepeats: number;
  /** The furthest an exemption's expiry may lie ahead of today, in months. */
  exemptionMaxMonths: number;
  /**
   * A code set that meets sensitive concepts must keep at least this many other (active,
   * non-sensitive) concepts, and at least as many as the sensitive ones it holds; otherwise what it
   * asks for is the sensitive codes (`<< X MINUS << Y` leaving a sliver).
   */
  codeSetMinRemaining: number;
  /** Distinct real words a justification needs (meaningful-text.ts). */
  justificationMinWords: number;
  /** Intended use, legal basis statement and risk statements: at least this long and this many distinct words. */
  statementMinLength: number;
  statementMinWords: number;
  /** Two texts whose content words overlap at least this much (Jaccard, 0 to 1) are one text. */
  nearDuplicateSimilarity: number;
}

/**
 * A rule a definition's exemption may waive, and what the exemption needs for it: the reference of
 * a statutory notice only (`notice`), or of a notice or an approval such as s251 support (`any`).
 */
export interface ExemptableRule {
  rule: string;
  reference: 'notice' | 'any';
  /** For sensitive-codes: the sets that may be exempted (every sensitive set when absent). */
  codeSets?: string[];
}

/** The policy lint applies: the default one, extended by an organisation's file when given. */
export interface Policy {
  name: string;
  files: string[];
  sensitiveCodeSets: SensitiveCodeSet[];
  severity: Record<string, Severity | 'off'>;
  /** The only rules an exemption may waive (the policy's choice, never the definition's). */
  exemptable: ExemptableRule[];
  thresholds: Thresholds;
  boilerplate: string[];
  /** Words that say nothing specific on their own (need, analysis, reporting, ...): a text of only these is a stock phrase. */
  genericWords: string[];
  /**
   * Words and phrases that name a sensitive set's category in uncoded text ('sexual health', 'GUM'):
   * by set name. A text column tested against one selects the category without a code.
   */
  sensitiveTerms: Record<string, string[]>;
}

interface RawPolicy {
  policy: 1;
  name?: string;
  sensitive_code_sets?: Record<string, { title: string; source?: string; ecl: string | number }>;
  severity?: Record<string, Severity | 'off'>;
  exemptable?: Record<string, { reference: 'notice' | 'any'; code_sets?: string[] }>;
  thresholds?: {
    review_months?: number;
    k_anonymity?: number;
    pseudonymised_below_k?: 'refuse' | 'warn';
    assumed_list_size?: number;
    overnight_start?: string;
    overnight_end?: string;
    justification_min_length?: number;
    justification_max_repeats?: number;
    exemption_max_months?: number;
    code_set_min_remaining?: number;
    justification_min_words?: number;
    statement_min_length?: number;
    statement_min_words?: number;
    near_duplicate_similarity?: number;
  };
  boilerplate_justifications?: string[];
  generic_words?: string[];
  sensitive_terms?: Record<string, string[]>;
}

/** What the policy needs to know of the rules, to check overrides (the rules module provides it). */
export interface RuleCatalogue {
  ids: readonly string[];
  isHard(id: string): boolean;
  /** The rule's category (rule.ts RuleCategory). */
  category(id: string): string | undefined;
}

/**
 * Rules no exemption may touch, whatever a policy file says: what a reviewer relies on to judge
 * the extract at all (governance, use case, schedule, justifications, identifiers) and the rule
 * that judges exemptions themselves. Hard rules are refused as well.
 */
const NEVER_EXEMPTABLE_CATEGORIES: Record<string, string> = {
  governance: 'governance paperwork is what a reviewer relies on',
  'use-case': 'the use case decides what the extract may be for',
  schedule: 'the schedule is part of the contract',
  exemptions: 'the rule that judges exemptions cannot be exempted',
  minimisation: 'justifications and identifiers are what data minimisation stands on',
  hard: 'it is a hard rule',
};
const NEVER_EXEMPTABLE_RULES: Record<string, string> = {
  'justification-meaningful': 'justifications are what data minimisation stands on',
  'justification-not-repeated': 'justifications are what data minimisation stands on',
  'direct-identifiers-need-basis': 'a direct identifier needs a statutory basis in the definition, not an exemption',
  'generalise-quasi-identifiers': 'identifiers are what data minimisation stands on',
  'disclosure-risk': 'the risk of singling out is measured, not waived',
  'exemption-valid': 'the rule that judges exemptions cannot be exempted',
};

/** Why a rule can never be exempted, or undefined when a policy may allow it. */
export function neverExemptable(rule: string, rules: RuleCatalogue): string | undefined {
  if (rules.isHard(rule)) return 'it is a hard rule';
  const category = rules.category(rule);
  return NEVER_EXEMPTABLE_RULES[rule] ?? (category !== undefined ? NEVER_EXEMPTABLE_CATEGORIES[category] : undefined) ?? (/identif|pseudonym|justif|governance|schedule|use-case|exemption/.test(rule) ? 'it guards identifiers, justifications, governance, schedule, use case or exemptions' : undefined);
}

let schemaObject: object | undefined;
function policySchema(): object {
  schemaObject ??= JSON.parse(readFileSync(resources.policySchema, 'utf8')) as object;
  return schemaObject;
}

/**
 * Loads the default policy and, when `extension` names a file, applies it on top. A malformed
 * file, an unknown rule, a hard rule lowered, a default set redefined, or an `exemptable` that
 * names a rule no exemption may touch or widens the default's is an error with its place.
 */
export function loadPolicy(rules: RuleCatalogue, extension?: string): { policy?: Policy; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const read = prebuiltDefaultPolicy() ?? readPolicyFile(resources.defaultPolicy, 'default.policy.yaml', rules, diagnostics, true);
  const base: Policy | undefined = read && { ...withoutReadDetails(read), exemptable: read.exemptable ?? [] };
  if (!base) {
    throw new Error(`internal: the default policy does not load: ${diagnostics.map((d) => d.message).join('; ')}`);
  }
  if (!extension) return { policy: base, diagnostics };
  const extra = readPolicyFile(extension, extension, rules, diagnostics, false);
  if (!extra || hasErrors(diagnostics)) return { diagnostics };
  const policy: Policy = {
    name: extra.name || base.name,
    files: [...base.files, ...extra.files],
    sensitiveCodeSets: [...base.sensitiveCodeSets, ...extra.sensitiveCodeSets],
    severity: { ...base.severity, ...extra.severity },
    exemptable: extra.exemptable ? narrowExemptable(base.exemptable, extra, diagnostics) : base.exemptable,
    thresholds: { ...base.thresholds, ...extra.explicitThresholds },
    boilerplate: [...base.boilerplate, ...extra.boilerplate],
    genericWords: [...base.genericWords, ...extra.genericWords],
    sensitiveTerms: mergeTerms(base.sensitiveTerms, extra.sensitiveTerms),
  };
  checkExemptableSets(policy, extra, diagnostics);
  return hasErrors(diagnostics) ? { diagnostics } : { policy, diagnostics };
}

/**
 * What an organisation's `exemptable` leaves of the default: only rules the default allows, each
 * needing at least what the default needs (a notice stays a notice) and, for sensitive-codes, at
 * most the sets the default allows. Anything wider is an error at its place.
 */
function narrowExemptable(base: ExemptableRule[], extra: ReadPolicy, diagnostics: Diagnostic[]): ExemptableRule[] {
  const narrowed: ExemptableRule[] = [];
  for (const entry of extra.exemptable ?? []) {
    const allowed = base.find((b) => b.rule === entry.rule);
    const at = extra.spanOf(['exemptable', entry.rule], 'key');
    if (!allowed) {
      diagnostics.push(policyCodes.make('policy-exemptable-widened', { what: `the default policy does not let an exemption waive \`${entry.rule}\` (only ${base.map((b) => b.rule).join(', ')})` }, at));
      continue;
    }
    if (allowed.reference === 'notice' && entry.reference !== 'notice') {
      diagnostics.push(policyCodes.make('policy-exemptable-widened', { what: `an exemption from \`${entry.rule}\` needs a statutory notice (reference: notice)` }, extra.spanOf(['exemptable', entry.rule, 'reference'])));
      continue;
    }
    if (allowed.codeSets && entry.codeSets) {
      const wider = entry.codeSets.filter((s) => !allowed.codeSets!.includes(s));
      if (wider.length > 0) {
        diagnostics.push(policyCodes.make('policy-exemptable-widened', { what: `the default policy does not let an exemption release ${wider.join(', ')}` }, extra.spanOf(['exemptable', entry.rule, 'code_sets'])));
        continue;
      }
    }
    narrowed.push({ ...entry, ...(allowed.codeSets && !entry.codeSets ? { codeSets: allowed.codeSets } : {}) });
  }
  return narrowed;
}

/** A policy as read, without what only loading needs. */
function withoutReadDetails(read: ReadPolicy | Policy): Omit<Policy, 'exemptable'> & { exemptable?: ExemptableRule[] } {
  const { explicitThresholds: _t, spanOf: _s, ...policy } = read as ReadPolicy;
  return policy;
}

/** Every set an `exemptable` entry names is one of the (combined) policy's sensitive sets. */
function checkExemptableSets(policy: Pick<Policy, 'sensitiveCodeSets'>, file: Pick<ReadPolicy, 'exemptable' | 'spanOf'>, diagnostics: Diagnostic[]): void {
  for (const entry of file.exemptable ?? []) {
    entry.codeSets?.forEach((set, i) => {
      if (!policy.sensitiveCodeSets.some((s) => s.name === set)) {
        diagnostics.push(policyCodes.make('policy-exemptable-code-sets', { rule: entry.rule, set }, file.spanOf(['exemptable', entry.rule, 'code_sets', i])));
      }
    });
  }
}

/** The default policy as the build checked it, when it was made from this very file. */
function prebuiltDefaultPolicy(): Policy | undefined {
  return readPrebuilt<Policy>(DEFAULT_POLICY_ASSET, sourceDigest(readFileSync(resources.defaultPolicy, 'utf8')), 'policy');
}

let defaultCache: Policy | undefined;

/** The default policy alone (cached). */
export function defaultPolicy(rules: RuleCatalogue): Policy {
  defaultCache ??= loadPolicy(rules).policy!;
  return defaultCache;
}

/** One policy file as read: `exemptable` is absent when the file does not say. */
type ReadPolicy = Omit<Policy, 'exemptable'> & {
  exemptable?: ExemptableRule[];
  explicitThresholds: Partial<Thresholds>;
  spanOf(path: (string | number)[], prefer?: 'key' | 'value'): Span | undefined;
};

function readPolicyFile(
  path: string,
  shownAs: string,
  rules: RuleCatalogue,
  diagnostics: Diagnostic[],
  builtIn: boolean,
): ReadPolicy | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    diagnostics.push(policyCodes.make('policy-unreadable', { path: shownAs, reason }));
    return undefined;
  }
  const source = parseYamlSource(sourceFile(shownAs, text));
  diagnostics.push(...source.diagnostics);
  if (hasErrors(source.diagnostics)) return undefined;
  const schemaDiagnostics = validateYamlAgainstSchema(source, policySchema());
  diagnostics.push(...schemaDiagnostics);
  if (schemaDiagnostics.length > 0) return undefined;
  const raw = source.value as RawPolicy;
  const before = diagnostics.length;

  const severity: Record<string, Severity | 'off'> = {};
  for (const [rule, level] of Object.entries(raw.severity ?? {})) {
    const at = spanAtPath(source, ['severity', rule], 'key');
    if (!rules.ids.includes(rule)) {
      diagnostics.push(policyCodes.make('policy-unknown-rule', { rule, suggestion: didYouMean(rule, rules.ids) }, at));
    } else if (rules.isHard(rule) && level !== 'error') {
      diagnostics.push(policyCodes.make('policy-hard-rule-lowered', { rule, severity: level === 'off' ? 'off' : `a${level === 'info' ? 'n' : ''} ${level}` }, spanAtPath(source, ['severity', rule])));
    } else if (!builtIn && PROTECTED_RULES.has(rule) && level !== 'error') {
      diagnostics.push(policyCodes.make('policy-protected-rule-lowered', { rule, severity: level === 'off' ? 'off' : `a${level === 'info' ? 'n' : ''} ${level}` }, spanAtPath(source, ['severity', rule])));
    } else {
      severity[rule] = level;
    }
  }

  if (!builtIn) {
    // The IM1 policy's limits: an organisation may be stricter, never looser.
    const widened = (threshold: string, value: number | undefined, wider: (v: number) => boolean, limit: string) => {
      if (value !== undefined && wider(value)) diagnostics.push(policyCodes.make('policy-threshold-widened', { threshold, value: String(value), limit }, spanAtPath(source, ['thresholds', threshold])));
    };
    widened('k_anonymity', raw.thresholds?.k_anonymity, (v) => v < DEFAULT_THRESHOLDS.kAnonymity, `k of at least ${DEFAULT_THRESHOLDS.kAnonymity}`);
    widened('review_months', raw.thresholds?.review_months, (v) => v > DEFAULT_THRESHOLDS.reviewMonths, `a review at least every ${DEFAULT_THRESHOLDS.reviewMonths} months`);
    widened('code_set_min_remaining', raw.thresholds?.code_set_min_remaining, (v) => v < DEFAULT_THRESHOLDS.codeSetMinRemaining, `at least ${DEFAULT_THRESHOLDS.codeSetMinRemaining} concepts beside sensitive ones`);
    widened('exemption_max_months', raw.thresholds?.exemption_max_months, (v) => v > DEFAULT_THRESHOLDS.exemptionMaxMonths, `exemptions of at most ${DEFAULT_THRESHOLDS.exemptionMaxMonths} months`);
  }

  let exemptable: ExemptableRule[] | undefined;
  if (raw.exemptable) {
    exemptable = [];
    for (const [rule, entry] of Object.entries(raw.exemptable)) {
      const at = spanAtPath(source, ['exemptable', rule], 'key');
      const never = rules.ids.includes(rule) ? neverExemptable(rule, rules) : undefined;
      if (!rules.ids.includes(rule)) diagnostics.push(policyCodes.make('policy-unknown-rule', { rule, suggestion: didYouMean(rule, rules.ids) }, at));
      else if (never) diagnostics.push(policyCodes.make('policy-exemptable-forbidden', { rule, why: never }, at));
      else if (entry.code_sets && rule !== 'sensitive-codes') diagnostics.push(policyCodes.make('policy-exemptable-code-sets', { rule }, spanAtPath(source, ['exemptable', rule, 'code_sets'], 'key')));
      else exemptable.push({ rule, reference: entry.reference, ...(entry.code_sets ? { codeSets: [...entry.code_sets] } : {}) });
    }
  }

  const sets: SensitiveCodeSet[] = [];
  for (const [name, rawSet] of Object.entries(raw.sensitive_code_sets ?? {})) {
    // A single concept written bare (ecl: 86406008) is read by YAML as a number.
    const set = { ...rawSet, ecl: String(rawSet.ecl) };
    if (!builtIn && BUILT_IN_SET_NAMES.has(name)) {
      diagnostics.push(policyCodes.make('policy-redefines-set', { name }, spanAtPath(source, ['sensitive_code_sets', name], 'key')));
      continue;
    }
    const { node } = nodeAtPath(source.document, ['sensitive_code_sets', name, 'ecl']);
    const offsets = node && isScalar(node) ? scalarOffsets(text, node, set.ecl) : undefined;
    const span = (start: number, end: number): Span => {
      const from = offsets?.[Math.min(start, set.ecl.length)] ?? 0;
      const to = (offsets?.[Math.min(end, set.ecl.length)] ?? from) + 1;
      return spanOf(source.file, from, to);
    };
    const parsed = parseEclText(set.ecl, span);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.ecl) continue;
    const ecl = resolveEcl({ diagnostics }, parsed.ecl);
    if (!ecl) continue;
    sets.push({ name, title: set.title, ...(set.source ? { source: set.source } : {}), text: set.ecl, ecl, builtIn });
  }
  if (diagnostics.length > before && hasErrors(diagnostics.slice(before))) return undefined;

  const t = raw.thresholds ?? {};

  const explicitThresholds: Partial<Thresholds> = {};
  if (t.review_months !== undefined) explicitThresholds.reviewMonths = t.review_months;
  if (t.k_anonymity !== undefined) explicitThresholds.kAnonymity = t.k_anonymity;
  if (t.pseudonymised_below_k !== undefined) explicitThresholds.pseudonymisedBelowK = t.pseudonymised_below_k;
  if (t.assumed_list_size !== undefined) explicitThresholds.assumedListSize = t.assumed_list_size;
  if (t.overnight_start !== undefined) explicitThresholds.overnightStart = t.overnight_start;
  if (t.overnight_end !== undefined) explicitThresholds.overnightEnd = t.overnight_end;
  if (t.justification_min_length !== undefined) explicitThresholds.justificationMinLength = t.justification_min_length;
  if (t.justification_max_repeats !== undefined) explicitThresholds.justificationMaxRepeats = t.justification_max_repeats;
  if (t.exemption_max_months !== undefined) explicitThresholds.exemptionMaxMonths = t.exemption_max_months;
  if (t.code_set_min_remaining !== undefined) explicitThresholds.codeSetMinRemaining = t.code_set_min_remaining;
  if (t.justification_min_words !== undefined) explicitThresholds.justificationMinWords = t.justification_min_words;
  if (t.statement_min_length !== undefined) explicitThresholds.statementMinLength = t.statement_min_length;
  if (t.statement_min_words !== undefined) explicitThresholds.statementMinWords = t.statement_min_words;
  if (t.near_duplicate_similarity !== undefined) explicitThresholds.nearDuplicateSimilarity = t.near_duplicate_similarity;
  const read: ReadPolicy = {
    name: raw.name ?? '',
    files: [shownAs],
    sensitiveCodeSets: sets,
    severity,
    ...(exemptable ? { exemptable } : {}),
    spanOf: (path, prefer) => spanAtPath(source, path, prefer),
    thresholds: { ...DEFAULT_THRESHOLDS, ...explicitThresholds },
    explicitThresholds,
    boilerplate: raw.boilerplate_justifications ?? [],
    genericWords: raw.generic_words ?? [],
    sensitiveTerms: raw.sensitive_terms ?? {},
  };
  if (builtIn) checkExemptableSets(read, read, diagnostics);
  return hasErrors(diagnostics.slice(before)) ? undefined : read;
}

const BUILT_IN_SET_NAMES = new Set(['gender_reassignment', 'sexuality', 'hiv_sti', 'termination_of_pregnancy', 'assisted_fertilisation']);

/** Fallbacks for thresholds the default policy file leaves out. */
const DEFAULT_THRESHOLDS: Thresholds = {
  reviewMonths: 3,
  kAnonymity: 10,
  pseudonymisedBelowK: 'warn',
  assumedListSize: 8000,
  overnightStart: '19:00',
  overnightEnd: '07:00',
  justificationMinLength: 15,
  justificationMaxRepeats: 2,
  exemptionMaxMonths: 36,
  codeSetMinRemaining: 5,
  justificationMinWords: 3,
  statementMinLength: 30,
  statementMinWords: 5,
  nearDuplicateSimilarity: 0.6,
};

/** An organisation's terms add to the default ones, set by set. */
function mergeTerms(base: Record<string, string[]>, extra: Record<string, string[]>): Record<string, string[]> {
  const merged: Record<string, string[]> = { ...base };
  for (const [set, terms] of Object.entries(extra)) merged[set] = [...(merged[set] ?? []), ...terms];
  return merged;
}
