import type { Catalogue } from '../catalogue/catalogue.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import type { Exemption, ExtractDefinition } from '../ir/extract-definition.js';
import type { Span } from '../source/source-file.js';
import { spanAt } from '../resolve/resolve-definition.js';
import type { CodeSetIndex } from './code-sets.js';
import { validExemptions } from './exemptions.js';
import type { Policy } from './policy.js';
import { formatMessage, type Finding, type RuleModule } from './rule.js';
import { RULES } from './rules/index.js';

export interface PolicyOptions {
  policy: Policy;
  catalogue: Catalogue;
  /** The date every date check is made on (YYYY-MM-DD). */
  today: string;
  /** The date exemptions' expiry is judged on when later than today (a run: the clock's). */
  exemptionDate?: string;
  codeSets: CodeSetIndex;
  rules?: readonly RuleModule[];
}

/** A rule's severity under a policy; hard rules are always errors. */
export function effectiveSeverity(rule: RuleModule, policy: Policy): Severity | 'off' {
  if (rule.meta.hard) return 'error';
  return policy.severity[rule.meta.id] ?? rule.meta.defaultSeverity;
}

/**
 * Runs every rule of the policy over a resolved definition. A finding covered by a valid
 * exemption (see exemptions.ts: only from a rule the policy lets exemptions waive, and only within
 * the exemption's scope) is reported as information that says so; hard rules are never exempted.
 */
export function runPolicy(definition: ExtractDefinition, options: PolicyOptions): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const exemptionDate = options.exemptionDate !== undefined && options.exemptionDate > options.today ? options.exemptionDate : options.today;
  const exemptions = validExemptions(definition, options.policy, exemptionDate);
  const exemptable = new Set(options.policy.exemptable.map((e) => e.rule));
  for (const rule of options.rules ?? RULES) {
    const severity = effectiveSeverity(rule, options.policy);
    if (severity === 'off') continue;
    const findings: Finding[] = [];
    rule.check({
      definition,
      catalogue: options.catalogue,
      policy: options.policy,
      today: options.today,
      exemptionDate,
      codeSets: options.codeSets,
      report: (finding) => findings.push(finding),
      spanAt: (pointer, prefer) => spanAt(definition, pointer, prefer),
    });
    for (const finding of findings) {
      const template = rule.meta.messages[finding.messageId];
      if (template === undefined) throw new Error(`internal: rule ${rule.meta.id} has no message ${finding.messageId}`);
      let message = formatMessage(template, finding.params);
      // The rule's severity under the policy, or the finding's own milder level when it gives one.
      let level: Severity = finding.severity && RANK[finding.severity] < RANK[severity] ? finding.severity : severity;
      const exemption = rule.meta.hard || !exemptable.has(rule.meta.id) ? undefined : exemptions.find((e) => covers(e, rule.meta.id, finding, definition));
      const hints = [...(finding.hints ?? [])];
      if (exemption && level !== 'info') {
        message = `${message} — exempted: ${exemption.justification ?? ''}`.trimEnd();
        hints.unshift(`exemption from ${rule.meta.id}${exemption.codeSet ? ` for ${exemption.codeSet}` : ''} in ${(exemption.datasets ?? []).join(', ')}, legal basis: ${describeBasis(exemption)}, expires ${exemption.expires ?? ''}`);
        level = 'info';
      }
      const diagnostic: Diagnostic = { code: rule.meta.id, severity: level, message, stage: 'policy', params: finding.params };
      const span = finding.span ?? spanAt(definition, '');
      if (span) diagnostic.span = span;
      if (hints.length > 0) diagnostic.hints = hints;
      diagnostics.push(diagnostic);
    }
  }
  return diagnostics;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/**
 * Whether a valid exemption covers a finding: same rule, and within the exemption's scope. A
 * sensitive-codes finding is covered for the exemption's code set, in one of its datasets (and,
 * for a field, one of its fields when it names fields); a finding outside every dataset (the
 * population filter) is never covered, since every dataset reads the population. A type1-opt-out
 * exemption waives only the override's need for a notice, not its justification.
 */
function covers(exemption: Exemption, rule: string, finding: Finding, definition: ExtractDefinition): boolean {
  if (exemption.rule !== rule) return false;
  if (rule === 'type1-opt-out') return finding.messageId === 'notAllowed';
  if (rule !== 'sensitive-codes') return false;
  if (finding.scope?.codeSet === undefined || exemption.codeSet !== finding.scope.codeSet) return false;
  const place = findingPlace(finding, definition);
  if (place.dataset === undefined || !(exemption.datasets ?? []).includes(place.dataset)) return false;
  if (place.field === undefined || !exemption.fields) return true;
  return exemption.fields.includes(`${place.dataset}.${place.field}`);
}

/**
 * The dataset (and field, when it is in a field's value) a finding is in: as the rule says, or
 * where its span lies (inside a dataset's filter or a field's value). Unknown when it is in
 * neither, which no scoped exemption covers.
 */
function findingPlace(finding: Finding, definition: ExtractDefinition): { dataset?: string; field?: string } {
  const scoped = finding.scope?.field;
  if (scoped !== undefined) {
    const dot = scoped.indexOf('.');
    return { dataset: scoped.slice(0, dot), field: scoped.slice(dot + 1) };
  }
  if (finding.scope?.dataset !== undefined) return { dataset: finding.scope.dataset };
  const span = finding.span;
  if (!span) return {};
  for (const [pointer, written] of Object.entries(definition.source.spans)) {
    const match = /^\/datasets\/(\d+)\/(?:where|fields\/(\d+)\/value)$/.exec(pointer);
    if (!match || !contains(written, span)) continue;
    const dataset = definition.datasets[Number(match[1])];
    if (!dataset) continue;
    const field = match[2] !== undefined ? dataset.fields[Number(match[2])]?.name : undefined;
    return { dataset: dataset.name, ...(field !== undefined ? { field } : {}) };
  }
  return {};
}

function contains(outer: Span, inner: Span): boolean {
  return outer.file === inner.file && outer.start.offset <= inner.start.offset && inner.end.offset <= outer.end.offset;
}

/** An exemption's legal basis in one line, for the hint that says a finding is exempted. */
function describeBasis(exemption: Exemption): string {
  const b = exemption.legalBasis ?? {};
  return [b.article6, b.article9, b.notice && `notice ${b.notice}`, b.approval && `approval ${b.approval}`].filter(Boolean).join('; ');
}
